"""The warm pool as a client and an operator see it, through nginx and a
real ignite-fcgi on the real engine: every service the daemon serves is
declared at start-up, so its first request already finds a started
container; the answer is the one the cold path gives; a reload declares new
services; nothing is left when the daemon stops."""

import os
import time

from harness import ROOT, Stack, _copy_service, wait_for


def warm_of(engine, stack, service):
    """Running warm containers of service owned by stack's daemon."""
    out = []
    for c in engine.managed():
        lb = c.get("Labels") or {}
        if (lb.get("ignite.run") == "warm" and lb.get("ignite.service") == service
                and lb.get("ignite.owner", "").split(".")[0] == str(stack.daemon.pid)
                and c.get("State") == "running"):
            out.append(c)
    return out


def owned_by(engine, pid):
    return [c for c in engine.managed()
            if (c.get("Labels") or {}).get("ignite.owner", "").split(".")[0] == str(pid)]


def own_services(workdir, name, services=("hello",)):
    d = workdir / name
    d.mkdir()
    for s in services:
        _copy_service(ROOT / "examples" / s, d / s)
    return d


def comparable(report):
    """What must not depend on the pool: the outcome and what the audit saw."""
    m = report["metrics"]
    audit = report["securityAudit"]
    return {
        "success": report["success"], "status": report.get("status"),
        "stdout": m["stdout"], "stderr": m["stderr"], "exitCode": m["exitCode"],
        "timedOut": m["timedOut"], "oomKilled": m["oomKilled"],
        "summary": audit["summary"],
        "events": sorted((e.get("source"), e.get("category"), e.get("type"))
                         for e in audit["events"]),
    }


def test_first_request_is_warm_and_answers_as_cold(servers, workdir, keys, engine):
    services = own_services(workdir, "warm-services")
    warm = Stack("warm-first", workdir, services, keys.path, ["--warm-pool", "1"],
                 owner=servers["stacks"]).start()
    cold = Stack("warm-ref", workdir, services, keys.path, ["--warm-pool", "0"],
                 owner=servers["stacks"]).start()
    assert "warm pool: services kept warm" in warm.log_text(), warm.log_tail()
    # Declared at start-up: a container waits before any request.
    assert wait_for(lambda: warm_of(engine, warm, "hello"), 60), \
        f"no warm container for hello:\n{warm.log_tail()}"
    assert not [c for c in owned_by(engine, cold.daemon.pid)], "the pool-off daemon made containers"

    body = {"input": {"name": "Warm"}}
    r = warm.execute("hello", body, key=keys.execute)
    assert r.status == 200, r
    w = r.json()
    assert w["metrics"]["coldStart"] is False, w["metrics"]
    r = cold.execute("hello", body, key=keys.execute)
    assert r.status == 200, r
    c = r.json()
    assert c["metrics"]["coldStart"] is True, c["metrics"]
    assert comparable(w) == comparable(c)
    assert "Hello, Warm!" in w["metrics"]["stdout"], w
    # The stored report is the answer.
    assert warm.get(f"/api/runs/{w['runId']}", key=keys.read).json() == w
    # Used once: its container goes, and the pool makes a new one.
    assert wait_for(lambda: not [x for x in engine.managed()
                                 if (x.get("Labels") or {}).get("ignite.run") == w["runId"]], 15)
    assert wait_for(lambda: warm_of(engine, warm, "hello"), 60), warm.log_tail()

    # A request that tightens a limit has another configuration: cold, and right.
    r = warm.execute("hello", {"input": {"name": "Tight"}, "limits": {"memoryMb": 64}},
                     key=keys.execute)
    assert r.status == 200, r
    assert r.json()["metrics"]["coldStart"] is True, r.json()["metrics"]
    assert "Hello, Tight!" in r.json()["metrics"]["stdout"]

    pid = warm.daemon.pid
    assert warm.stop_daemon() == 0, warm.log_tail()
    assert not owned_by(engine, pid), "containers left after the daemon stopped"


def test_reload_declares_new_services(servers, workdir, keys, engine):
    services = own_services(workdir, "warm-reload")
    s = Stack("warm-reload", workdir, services, keys.path, ["--warm-pool", "1"],
              owner=servers["stacks"]).start()
    assert wait_for(lambda: warm_of(engine, s, "hello"), 60), s.log_tail()
    # The operator adds a service and reloads.
    _copy_service(ROOT / "examples" / "hello", services / "greeter")
    yaml = services / "greeter" / "service.yaml"
    yaml.write_text(yaml.read_text().replace("name: hello", "name: greeter"))
    os.chmod(yaml, 0o644)
    s.sighup()
    assert wait_for(lambda: warm_of(engine, s, "greeter"), 60), s.log_tail()
    r = s.execute("greeter", {"input": {"name": "Reload"}}, key=keys.execute)
    assert r.status == 200 and r.json()["metrics"]["coldStart"] is False, r
    # An invalid service is skipped with a reason, not fatal.
    (services / "broken").mkdir()
    (services / "broken" / "service.yaml").write_text("service: [\n")
    s.sighup()
    assert wait_for(lambda: "service not kept warm" in s.log_text(), 10), s.log_tail()
    assert s.daemon_alive()
    pid = s.daemon.pid
    assert s.stop_daemon() == 0, s.log_tail()
    assert not owned_by(engine, pid), "containers left after the daemon stopped"
