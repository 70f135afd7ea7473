"""Audit mode against hostile services (tests/hostile/), on the real engine.

Each test checks two things: the containment itself, as the service and the
host observe it, and what the run report says about it. The docstring of
each test names the goal of the threat model's Security Goals table that it
proves (docs/threat-model.md links here by test name).
"""
import os
import subprocess
import tempfile

import pytest

ALL_RUNTIMES = ["node@20", "node@22", "node@24", "bun@1", "deno@2"]
# One of each runtime family: for the slower, resource-bound tests.
FAMILIES = ["node@24", "bun@1", "deno@2"]

# The 132-byte static ELF the tmp-noexec services write to /tmp: exits 42.
EXIT42 = bytes.fromhex(
    "7f454c4602010100000000000000000002003e00010000007800400000000000"
    "4000000000000000000000000000000000000000400038000100000000000000"
    "0100000005000000000000000000000000004000000000000000400000000000"
    "840000000000000084000000000000000010000000000000bf2a000000b83c00"
    "00000f05")


def tree(path):
    """{relative path: content} of every file and directory under path."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), path) + "/"] = None
        for f in filenames:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, path)] = fh.read()
    return out


def spawn_events(run, allowed=None):
    return [e for e in run.events if e.get("type") == "process" and e.get("action") == "spawn"
            and e.get("source") == "launcher" and (allowed is None or e.get("allowed") is allowed)]


def refused(code):
    """An error code that means a permission layer refused the attempt."""
    return code in ("ERR_ACCESS_DENIED", "NotCapable", "PermissionDenied")


# ---------------------------------------------------------------- network

@pytest.mark.parametrize("runtime", ALL_RUNTIMES)
def test_network_is_unreachable(ignite, service, runtime):
    """Threat-model goal: reduce network exfiltration risk — with
    network.enabled false, a DNS lookup, TCP connects (public address and the
    Docker bridge gateway) and fetch() all fail, the container has only a
    loopback interface and no Docker socket, and the audit lists each attempt
    as a blocked network event (networkBlocked > 0)."""
    run = ignite.run(service("net-probe"), runtime=runtime)
    assert run.rc == 0 and run.report["status"] == "success", str(run)
    out = run.service_output()
    for probe in ("dns", "tcp", "tcpGateway", "fetch"):
        assert out[probe]["ok"] is False, f"{probe} got through: {out}\n{run}"
    assert out["interfaces"] == ["lo"] or isinstance(out["interfaces"], dict), out
    assert out["dockerSocket"] is not True, out

    assert run.audit["policy"]["network"]["enabled"] is False, str(run)
    net = [e for e in run.events if e["type"] == "network" and e["source"] == "launcher"]
    assert {e["action"] for e in net} >= {"dns", "connect"}, str(run)
    assert all(e["allowed"] is False for e in net), str(run)
    targets = {e["target"] for e in net}
    assert "example.com" in targets and "1.1.1.1:443" in targets, str(run)
    assert run.summary["networkBlocked"] >= 4, str(run)
    assert run.summary["networkBlocked"] == run.summary["networkAttempts"], str(run)
    assert run.summary["overallStatus"] == "violations", str(run)


# ------------------------------------------------------------- filesystem

TAMPER = ("root", "app", "appEntry", "appMkdir", "etc", "launcher")


@pytest.mark.parametrize("runtime", ALL_RUNTIMES)
def test_filesystem_writes_fail(ignite, service, runtime):
    """Threat-model goal: reduce filesystem tampering risk — writes to /,
    /app (new files, the service's own entry, a new directory), /etc and the
    launcher fail; /tmp works; the service directory on the host is
    unchanged; the audit reports the blocked writes."""
    svc = service("fs-write")
    before = tree(svc)
    run = ignite.run(svc, runtime=runtime)
    assert run.rc == 0 and run.report["status"] == "success", str(run)
    out = run.service_output()
    for target in TAMPER:
        assert out[target]["ok"] is False, f"write to {target} succeeded: {out}\n{run}"
        assert refused(out[target]["code"]) or out[target]["code"] in ("EROFS", "EACCES"), out
    assert out["tmp"] == {"ok": True}, f"/tmp is not writable: {out}\n{run}"
    assert tree(svc) == before, "the service directory changed on the host"

    assert run.audit["policy"]["filesystem"]["readOnly"] is True, str(run)
    writes = [e for e in run.events if e["type"] == "filesystem" and e["source"] == "launcher"]
    blocked = {e["target"] for e in writes if e["allowed"] is False}
    assert {"/ignite-pwned", "/app/pwned", "/app/index.mjs", "/etc/passwd"} <= blocked, str(run)
    assert not any(e["target"].startswith("/tmp") for e in writes), str(run)
    assert run.summary["filesystemBlocked"] >= 6, str(run)
    assert run.summary["overallStatus"] == "violations", str(run)


@pytest.mark.parametrize("runtime", FAMILIES)
def test_app_stays_read_only_with_writable_policy(ignite, service, runtime):
    """Threat-model goal: reduce filesystem tampering risk — even when the
    policy makes the root filesystem writable (filesystem.readOnly false, so
    the runtime's permission layer lets writes through), the service
    directory is mounted read-only: the kernel refuses writes to /app and the
    host copy is unchanged."""
    svc = service("fs-write-rw")
    before = tree(svc)
    run = ignite.run(svc, runtime=runtime)
    assert run.rc == 0 and run.report["status"] == "success", str(run)
    out = run.service_output()
    for target in ("app", "appEntry", "appMkdir"):
        assert out[target]["ok"] is False, f"write to {target} succeeded: {out}\n{run}"
        # The kernel answered, not a permission layer.
        assert out[target]["code"] in ("EROFS", "EACCES"), f"{target}: {out}\n{run}"
    for target in ("root", "etc", "launcher"):   # root-owned: uid 10001 may not write
        assert out[target]["ok"] is False, f"write to {target} succeeded: {out}\n{run}"
    assert out["tmp"] == {"ok": True}, out
    assert tree(svc) == before, "the service directory changed on the host"
    assert run.audit["policy"]["filesystem"]["readOnly"] is False, str(run)
    app = [e for e in run.events if e["type"] == "filesystem" and e["source"] == "launcher"
           and e["target"].startswith("/app")]
    assert app and all(e["allowed"] is False for e in app), str(run)


def test_writable_rootfs_reports_only_service_changes(ignite, service, tmp_path):
    """Threat-model goal: preserve inspectability — a service that writes
    nothing, run with a writable root filesystem, gets no filesystem-change
    events: the report must not attribute the engine's own changes to it."""
    svc = service("hello-js")
    (svc / "ignite.policy.yaml").write_text("security:\n  filesystem:\n    readOnly: false\n")
    run = ignite.run(svc, runtime="node@24", input={"name": "x"})
    assert run.rc == 0, str(run)
    changes = [e for e in run.events if e["type"] == "filesystem" and e["source"] == "engine"]
    assert changes == [], str(run)
    assert run.summary["filesystemWrites"] == 0, str(run)


# ------------------------------------------------------------ /tmp noexec

@pytest.fixture(scope="module")
def exit42_works_on_host():
    """Control: the program the services write does run (and exit 42) where
    exec is allowed, so "it did not run" in the container means something."""
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "exit42")
        with open(p, "wb") as f:
            f.write(EXIT42)
        os.chmod(p, 0o755)
        assert subprocess.run([p]).returncode == 42


@pytest.mark.parametrize("runtime", ALL_RUNTIMES)
def test_tmp_program_does_not_run(ignite, service, runtime, exit42_works_on_host):
    """Threat-model goal: reduce filesystem tampering risk — a program
    written to /tmp cannot be started (default policy: the spawn is refused
    by the permission layer, and /tmp is noexec anyway); /tmp itself is
    writable. The audit reports the refused spawn of /tmp/x."""
    run = ignite.run(service("tmp-noexec"), runtime=runtime)
    assert run.rc == 0 and run.report["status"] == "success", str(run)
    out = run.service_output()
    assert out["written"] == len(EXIT42), f"/tmp is not writable: {out}\n{run}"
    for api in ("spawn", "native"):
        if api in out:
            assert out[api].get("status") != 42, f"/tmp/x ran via {api}: {out}\n{run}"
    if "thrown" in out["spawn"]:
        assert refused(out["spawn"]["thrown"]), out
    if isinstance(out.get("mount"), str) and out["mount"].startswith(("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")):
        assert "noexec" in out["mount"].split(" ")[5].split(","), out["mount"]
    ev = [e for e in spawn_events(run) if e["target"] == "/tmp/x"]
    assert ev and all(e["allowed"] is False for e in ev), str(run)
    assert run.summary["processBlocked"] >= 1, str(run)


@pytest.mark.parametrize("runtime", ALL_RUNTIMES)
def test_tmp_is_noexec(ignite, service, runtime, exit42_works_on_host):
    """Threat-model goal: reduce filesystem tampering risk — with spawning
    allowed by the policy, the attempt reaches the kernel, and the noexec
    mount of /tmp refuses it with EACCES: the program never runs."""
    run = ignite.run(service("tmp-noexec-spawn"), runtime=runtime)
    assert run.rc == 0 and run.report["status"] == "success", str(run)
    out = run.service_output()
    assert out["written"] == len(EXIT42), f"/tmp is not writable: {out}\n{run}"
    for api in ("spawn", "native"):
        if api in out:
            assert out[api].get("status") != 42, f"/tmp/x ran via {api}: {out}\n{run}"
    # The kernel's answer, from whichever API surfaces the errno.
    errors = {out["spawn"].get("error"), out["spawn"].get("thrown"),
              out.get("native", {}).get("thrown")}
    assert "EACCES" in errors, f"no EACCES from the noexec mount: {out}\n{run}"
    ev = [e for e in spawn_events(run) if e["target"] == "/tmp/x"]
    assert ev and all(e["allowed"] is True for e in ev), str(run)   # the policy allowed it


# ------------------------------------------------------------- privileges

@pytest.mark.parametrize("runtime", ALL_RUNTIMES)
def test_no_capabilities_no_new_privs_not_root(ignite, service, runtime):
    """Threat-model goal: limit privilege escalation — /proc/self/status shows
    every capability set empty (CapEff 0000000000000000), NoNewPrivs 1 and a
    non-zero uid; process.getuid() is not 0; there is no Docker socket."""
    run = ignite.run(service("privs"), runtime=runtime)
    assert run.rc == 0 and run.report["status"] == "success", str(run)
    out = run.service_output()
    if runtime.startswith("deno"):
        # deno's permission model hides /proc/self/status (it needs --allow-all).
        assert out["status"] is not None or refused(out.get("statusError")), out
    else:
        assert out["status"], out
    st = out["status"]
    if st:
        for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            assert st[cap] == "0000000000000000", f"{cap}: {st}"
        assert st["NoNewPrivs"] == "1", st
        assert all(int(u) != 0 for u in st["Uid"].split()), st
        assert all(int(g) != 0 for g in st["Gid"].split()), st
    assert isinstance(out["getuid"], int) and out["getuid"] != 0, out
    assert isinstance(out["geteuid"], int) and out["geteuid"] != 0, out
    assert out["dockerSocket"] is not True, out
    assert run.summary["overallStatus"] == "clean", str(run)


# -------------------------------------------------------- runaway workloads

@pytest.mark.parametrize("runtime", FAMILIES)
def test_memory_bomb_is_oom_killed(ignite, service, runtime):
    """Threat-model goal: bound runaway workloads — a service allocating
    without bound is killed by the kernel at memoryMb (64 MB) long before its
    time limit; the report says oomKilled, status "oom", exit code 137, and
    `ignite run` exits 137."""
    run = ignite.run(service("memory-bomb"), runtime=runtime)
    assert run.rc == 137, str(run)
    r = run.report
    assert r["status"] == "oom" and r["success"] is False, str(run)
    assert run.metrics["oomKilled"] is True, str(run)
    assert run.metrics["exitCode"] == 137, str(run)
    assert run.metrics["timedOut"] is False, str(run)
    assert run.metrics["executionTimeMs"] < 15000, str(run)   # the time limit is 20 s
    assert r["limits"]["memoryMb"] == 64, str(run)
    assert run.metrics["stdout"].startswith("allocating"), str(run)
    assert run.events_where(type="resource", action="oom-kill", source="engine", allowed=False), str(run)
    assert run.summary["overallStatus"] == "violations", str(run)


@pytest.mark.parametrize("runtime", FAMILIES)
def test_cpu_spin_is_killed_at_timeout(ignite, service, runtime):
    """Threat-model goal: bound runaway workloads — a service that never
    yields is killed at timeoutMs (2 s): timedOut true, status "timeout",
    duration close to the limit, `ignite run` exits 124, and what it printed
    before is kept."""
    run = ignite.run(service("cpu-spin"), runtime=runtime)
    assert run.rc == 124, str(run)
    r = run.report
    assert r["status"] == "timeout" and r["success"] is False, str(run)
    assert run.metrics["timedOut"] is True and run.metrics["oomKilled"] is False, str(run)
    limit = r["limits"]["timeoutMs"]
    assert limit == 2000, str(run)
    assert limit <= run.metrics["executionTimeMs"] <= limit + 1500, str(run)
    assert run.wall < limit / 1000 + 5, str(run)
    assert run.metrics["stdout"] == "spinning\n", str(run)
    assert run.events_where(type="resource", action="timeout-kill", source="engine"), str(run)


@pytest.mark.parametrize("runtime", FAMILIES)
def test_output_flood_is_truncated(ignite, service, runtime):
    """Threat-model goal: bound runaway workloads — 50 MiB written to stdout
    is cut at the per-stream cap: outputTruncated true, the kept stdout is
    exactly the cap, and the host process's memory stays far below the
    flood's size."""
    run = ignite.run(service("output-flood"), runtime=runtime)
    assert run.rc == 0 and run.report["status"] == "success", str(run)
    cap = run.report["limits"]["outputMaxBytes"]
    assert cap < 50 * 1024 * 1024, str(run)
    assert "wrote 52428800 bytes" in run.metrics["stderr"], str(run)   # the flood happened
    assert run.metrics["outputTruncated"] is True, str(run)
    assert run.metrics["stdoutTruncated"] is True, str(run)
    stdout = run.metrics["stdout"]
    assert len(stdout.encode()) == cap, f"kept {len(stdout.encode())} bytes, cap {cap}"
    assert set(stdout) <= {"x", "\n"}, "kept output is not the flood's prefix"
    assert run.events_where(type="output", action="truncate", target="stdout", source="engine"), str(run)
    # Our RSS is bounded by the caps, not by what the service wrote.
    assert run.maxrss_kb < 64 * 1024, f"ignite peaked at {run.maxrss_kb} KB of RSS"


@pytest.mark.parametrize("runtime", FAMILIES)
def test_fork_bomb_with_spawn_denied(ignite, service, runtime):
    """Threat-model goal: bound runaway workloads — with the default policy,
    200 attempts to start the runtime binary are all refused and reported as
    blocked spawns; the worker-thread half of the bomb runs into the
    container's limits (PIDs, open files); the run ends on its own, well
    before its time limit."""
    run = ignite.run(service("fork-bomb"), runtime=runtime)
    r = run.report
    assert r is not None and r["status"] in ("success", "failed"), str(run)
    assert run.metrics["timedOut"] is False, str(run)
    assert run.metrics["executionTimeMs"] < 12000, str(run)
    assert r["limits"]["pidsLimit"] == 64, str(run)
    assert spawn_events(run, allowed=True) == [], str(run)
    assert len(spawn_events(run, allowed=False)) == 200, str(run)
    if r["status"] == "success":
        out = run.service_output()
        assert out["spawned"] == 0, out
    assert run.summary["overallStatus"] != "clean", str(run)


@pytest.mark.parametrize("runtime", FAMILIES)
def test_fork_bomb_is_contained_by_pids_limit(ignite, service, runtime):
    """Threat-model goal: bound runaway workloads — with spawning allowed,
    starting the runtime binary without bound runs into the container's PIDs
    limit (64): further forks fail with EAGAIN, the run ends before its time
    limit, and the report carries the engine's pids-limit event."""
    run = ignite.run(service("fork-bomb-spawn"), runtime=runtime)
    r = run.report
    assert r is not None and r["status"] in ("success", "failed"), str(run)
    assert run.metrics["timedOut"] is False, str(run)
    assert r["limits"]["pidsLimit"] == 64, str(run)
    pids = run.events_where(type="resource", action="pids-limit", source="engine", allowed=False)
    assert pids, f"no pids-limit event\n{run}"
    assert "limit of 64" in pids[0]["details"], str(run)
    if r["status"] == "success":
        out = run.service_output()
        assert out["spawnErrors"].get("EAGAIN", 0) > 0, out
        assert out["spawned"] - out["exitedEarly"] < 64, out
    assert run.summary["overallStatus"] != "clean", str(run)


# --------------------------------------------------------------- spawning

@pytest.mark.parametrize("runtime", ALL_RUNTIMES)
def test_spawn_refused_when_not_allowed(ignite, service, runtime):
    """Threat-model goal: limit privilege escalation — with
    process.allowSpawn false, child_process (spawn, spawnSync, execFileSync,
    execSync), Bun.spawnSync and Deno.Command all fail to start the runtime's
    own binary (node, bun: ERR_ACCESS_DENIED; deno: NotCapable), and each
    attempt is a blocked spawn in the audit."""
    run = ignite.run(service("spawn-denied"), runtime=runtime)
    assert run.rc == 0 and run.report["status"] == "success", str(run)
    out = run.service_output()
    for api, res in out.items():
        assert res["ran"] is False, f"{api} started a program: {out}\n{run}"
    if runtime.startswith(("node", "bun")):
        for api, res in out.items():
            assert res["code"] == "ERR_ACCESS_DENIED", f"{api}: {out}\n{run}"
    if runtime.startswith("deno"):
        assert refused(out["Deno.Command"]["code"]), out
    assert run.audit["policy"]["process"]["allowSpawn"] is False, str(run)
    assert spawn_events(run, allowed=True) == [], str(run)
    assert len(spawn_events(run, allowed=False)) >= 4, str(run)
    assert run.summary["processBlocked"] >= 4, str(run)
    assert run.summary["overallStatus"] == "violations", str(run)


@pytest.mark.parametrize("runtime", ALL_RUNTIMES)
def test_spawn_allowed_for_listed_command_only(ignite, service, runtime):
    """Threat-model goal: limit privilege escalation — with allowSpawn true
    and allowedCommands listing the runtime binaries, `<runtime> --version`
    runs; the dynamic loader (executable, not listed, able to start any
    program) is refused. The audit shows one allowed and one blocked spawn."""
    run = ignite.run(service("spawn-allowed"), runtime=runtime)
    assert run.rc == 0 and run.report["status"] == "success", str(run)
    out = run.service_output()
    assert out["listed"]["ran"] is True, f"the listed command did not run: {out}\n{run}"
    assert run.report["runtime"]["version"] in out["listed"]["out"], out
    assert out["unlisted"]["ran"] is False, f"the unlisted loader ran: {out}\n{run}"
    assert out["unlisted"].get("code") in (None, "ERR_ACCESS_DENIED", "NotCapable"), out
    allowed = spawn_events(run, allowed=True)
    blocked = spawn_events(run, allowed=False)
    assert [e["target"] for e in allowed] == [f"{out['execPath']} --version"], str(run)
    assert blocked and all(e["target"].startswith("/lib64/ld-linux") for e in blocked), str(run)
    assert run.audit["policy"]["process"]["allowedCommands"] == [
        "/ignite/bin/node", "/ignite/bin/bun", "/ignite/bin/deno"], str(run)


@pytest.mark.parametrize("runtime", FAMILIES)
def test_detached_grandchild_does_not_hold_the_run(ignite, service, runtime):
    """Threat-model goal: bound runaway workloads — a detached child that
    inherits stdout and keeps writing does not keep the run alive once the
    main process has exited: the run ends at once, successfully, far before
    its time limit (4 s)."""
    run = ignite.run(service("grandchild"), runtime=runtime, input={"mode": "exit"})
    assert run.rc == 0 and run.report["status"] == "success", str(run)
    out = run.service_output()
    assert out["grandchild"], f"the grandchild did not start: {out}\n{run}"
    assert run.metrics["timedOut"] is False, str(run)
    assert run.metrics["executionTimeMs"] < 2000, str(run)
    assert run.wall < 4, str(run)


@pytest.mark.parametrize("runtime", FAMILIES)
def test_detached_grandchild_does_not_outlive_the_deadline(ignite, service, runtime):
    """Threat-model goal: bound runaway workloads — when the main process
    stays alive too, main and grandchild are killed at the deadline: the run
    times out at timeoutMs (4 s) and does not wait for the grandchild's
    minute-long life."""
    run = ignite.run(service("grandchild"), runtime=runtime, input={"mode": "hang"})
    assert run.rc == 124, str(run)
    assert run.report["status"] == "timeout" and run.metrics["timedOut"] is True, str(run)
    assert "grandchild alive" in run.metrics["stdout"], str(run)
    assert 4000 <= run.metrics["executionTimeMs"] <= 5500, str(run)
    assert run.wall < 9, str(run)


@pytest.fixture
def host_sentinel():
    """A process on the host running as the container's uid (10001): if a
    signal from inside could reach outside the container, kill(-1) would
    kill it."""
    p = subprocess.Popen(["sleep", "120"], user=10001, group=10001)
    yield p
    p.kill()
    p.wait()


@pytest.mark.parametrize("runtime", FAMILIES)
def test_kill_all_stays_inside(ignite, service, runtime, host_sentinel):
    """Threat-model goal: limit privilege escalation — kill(-1, SIGKILL) and
    kill(1, SIGKILL) from inside reach only the container: the service's own
    child dies, the service and its init survive, a host process with the
    same uid and this test are untouched, and the run is reported normally."""
    run = ignite.run(service("kill-all"), runtime=runtime)
    assert host_sentinel.poll() is None, "a host process of uid 10001 was killed"
    assert run.rc == 0 and run.report["status"] == "success", str(run)
    out = run.service_output()
    assert out["killAll"] is True, out
    assert out["childExit"] == {"status": None, "signal": "SIGKILL"}, out
    assert out["survived"] is True, out
    assert run.summary["launcherChannel"] == "ok", str(run)


@pytest.mark.parametrize("runtime", ["node@24"])
def test_self_kill_is_reported(ignite, service, runtime, host_sentinel):
    """Threat-model goal: preserve inspectability — a service that ends by
    SIGKILL (not a limit) is reported as failed with exit code 137 and
    signal 9, not as an OOM kill or a timeout; `ignite run` exits 137."""
    run = ignite.run(service("kill-all"), runtime=runtime, input={"self": True})
    assert host_sentinel.poll() is None
    assert run.rc == 137, str(run)
    assert run.report["status"] == "failed", str(run)
    assert run.metrics["exitCode"] == 137 and run.metrics["signal"] == 9, str(run)
    assert run.metrics["oomKilled"] is False and run.metrics["timedOut"] is False, str(run)
    assert run.events_where(type="process", action="signal", source="engine"), str(run)


def test_signal_is_not_counted_as_spawn(ignite, service):
    """Threat-model goal: preserve inspectability — summary.processSpawns
    counts spawn attempts only: the engine's note that the main process
    ended by a signal is not a spawn."""
    run = ignite.run(service("kill-all"), runtime="node@24", input={"self": True})
    assert run.rc == 137, str(run)
    assert run.summary["processSpawns"] == len(spawn_events(run)), str(run)
