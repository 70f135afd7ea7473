"""Reports that cannot be forged, runs stored as data, and the sweep of
containers a crash left behind.
"""
import json
import os
import secrets

import pytest

FAMILIES = ["node@24", "bun@1", "deno@2"]


@pytest.mark.parametrize("runtime", FAMILIES)
def test_forged_launcher_records_are_not_audit_events(ignite, service, runtime):
    """Threat-model goal: preserve inspectability — a service that prints
    records shaped like the launcher's (with a made-up HMAC) on stderr cannot
    add events to the audit or fake its exit: the fake text stays in its
    stderr, the channel is reported "forged", and overallStatus is not
    "clean"."""
    run = ignite.run(service("forged-records"), runtime=runtime)
    assert run.rc == 0, str(run)
    stderr = run.metrics["stderr"]
    assert "IGNITE1" in stderr and "forged.example:443" in stderr, str(run)
    for e in run.events:
        assert e.get("details") != "FORGED", f"a forged record became an event: {e}\n{run}"
        assert e.get("target") not in ("forged.example:443", "/forged"), str(run)
    assert run.summary["networkAttempts"] == 0 and run.summary["filesystemWrites"] == 0, str(run)
    assert run.summary["launcherChannel"] == "forged", str(run)
    assert run.summary["overallStatus"] != "clean", str(run)
    assert run.events_where(type="integrity", action="forged-record", source="engine"), str(run)
    # The fake exit record (code 0, initMs 1) did not replace the real one.
    assert run.metrics["initTimeMs"] != 1, str(run)


def stored(runs_dir, run_id):
    path = runs_dir / f"{run_id}.json"
    assert path.is_file(), f"{path} is missing; runs dir holds {sorted(os.listdir(runs_dir))}"
    with open(path) as f:
        return json.load(f)


def test_run_report_is_stored(ignite, service, runs_dir):
    """Threat-model goal: preserve inspectability — after `ignite run`, the
    report is stored as <runs_dir>/<runId>.json, parses, and says what the
    command printed; no temporary file is left beside it."""
    run = ignite.run(service("hello-js"), runtime="node@24", input={"name": "Ada"})
    assert run.rc == 0, str(run)
    run_id = run.report["runId"]
    assert len(run_id) == 32 and all(c in "0123456789abcdef" for c in run_id), run_id
    doc = stored(runs_dir, run_id)
    for key in ("runId", "serviceName", "status", "success", "runtime", "limits", "input"):
        assert doc[key] == run.report[key], key
    assert doc["metrics"]["exitCode"] == 0
    assert doc["metrics"]["stdout"] == run.metrics["stdout"]
    assert doc["securityAudit"]["summary"] == run.summary
    leftovers = [n for n in os.listdir(runs_dir) if not n.endswith(".json")]
    assert leftovers == [], leftovers


def test_blocked_run_is_stored(ignite, service, runs_dir):
    """Threat-model goal: preserve inspectability — a service whose
    preflight fails (memoryMb 1 against an estimate of 500 MB) is not run:
    `ignite run` exits 1, and the stored report has status "blocked", the
    failed preflight check, and no execution metrics."""
    run = ignite.run(service("blocked"), runtime="node@24")
    assert run.rc == 1, str(run)
    r = run.report
    assert r is not None and r["status"] == "blocked" and r["success"] is False, str(run)
    assert r["error"]["code"] == "preflight_failed", str(run)
    assert r["preflight"]["overallStatus"] == "fail", str(run)
    mem = [c for c in r["preflight"]["checks"] if c["name"] == "memory-allocation"]
    assert mem and mem[0]["status"] == "fail", str(run)
    assert "metrics" not in r and "securityAudit" not in r, str(run)
    doc = stored(runs_dir, r["runId"])
    assert doc["status"] == "blocked"
    assert doc["preflight"]["overallStatus"] == "fail"


def leftover_config(labels):
    return {"Image": "ignite-runtime/node:24", "Cmd": ["/ignite/bin/node", "--version"],
            "User": "10001:10001", "NetworkDisabled": True,
            "HostConfig": {"NetworkMode": "none"},
            "Labels": {"ignite.managed": "1", **labels}}


@pytest.fixture
def make_container(engine):
    made = []
    if not engine.image_exists("ignite-runtime/node:24"):
        pytest.fail("image ignite-runtime/node:24 is missing (run `make runtimes`)")

    def make(**labels):
        cid = engine.create(leftover_config(labels),
                            name=f"ignite-it-{secrets.token_hex(6)}")
        made.append(cid)
        return cid

    yield make
    for cid in made:
        engine.remove(cid)


def test_sweep_removes_leftover_containers(ignite, engine, make_container):
    """Threat-model goal: bound runaway workloads — containers a crashed run
    left behind (labelled ignite.managed=1, never started; one without an
    owner, one whose owner process is gone) are removed by `ignite sweep`."""
    orphan = make_container(**{"ignite.run": "0" * 32, "ignite.service": "it-orphan"})
    dead = make_container(**{"ignite.run": "1" * 32, "ignite.service": "it-dead-owner",
                             "ignite.owner": "999999999.1"})
    for cid in (orphan, dead):
        assert engine.inspect(cid)[0] == 200
    run = ignite("sweep")
    assert run.rc == 0, str(run)
    assert run.stdout.startswith("removed "), str(run)
    assert int(run.stdout.split()[1]) >= 2, str(run)
    for cid in (orphan, dead):
        assert engine.inspect(cid)[0] == 404, f"container {cid[:12]} survived the sweep"


def test_sweep_keeps_containers_of_live_runs(ignite, engine, make_container):
    """Threat-model goal: preserve inspectability — `ignite sweep` without
    --all removes only what a crash left: a container whose ignite.owner
    process is alive (here: this test process) is kept."""
    me = os.getpid()
    with open(f"/proc/{me}/stat") as f:
        stat = f.read()
    start = stat[stat.rindex(")") + 2:].split()[19]      # field 22: start time
    live = make_container(**{"ignite.run": "2" * 32, "ignite.service": "it-live-owner",
                             "ignite.owner": f"{me}.{start}"})
    run = ignite("sweep")
    assert run.rc == 0, str(run)
    assert engine.inspect(live)[0] == 200, "sweep removed a live run's container"
    assert engine.containers("ignite.managed=1", f"ignite.run={'2' * 32}"), "container gone"
