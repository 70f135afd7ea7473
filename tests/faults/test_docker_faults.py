"""The Docker engine fails under a running ignite-fcgi (issue 7): stopped
while idle, SIGKILLed while a run is in flight. The engine is the suite's
private dockerd; ignite-fcgi is never restarted to recover."""
import json
import os
import subprocess
import threading
import time

import pytest

from faultkit import BUILD, wait_for


def health(stack):
    r = stack.get("/api/health")
    return r.status, r.json()


def in_thread(fn):
    box = {}

    def run():
        try:
            box["value"] = fn()
        except Exception as e:
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, box


def find_run(stack, key, service, after=None):
    """The newest run of service listed by GET /api/runs (not in after)."""
    r = stack.get(f"/api/runs?service={service}&limit=20", key=key)
    assert r.status == 200, r
    runs = [x for x in r.json()["runs"] if x["runId"] not in (after or set())]
    return runs[0] if runs else None


def test_engine_stopped_while_idle_then_back(make_stack, engine, keys):
    s = make_stack("idle")
    status, body = health(s)
    assert status == 200 and body["docker"] == "ok", body
    r = s.execute("hello", {"input": {"name": "before"}}, key=keys.execute)
    assert r.status == 200 and r.json()["success"] is True, r
    pid = s.daemon.pid

    assert engine.stop() is not None
    status, body = health(s)
    assert status == 503, (status, body)
    assert body["docker"] == "unavailable" and body["status"] != "ok", body
    r = s.execute("hello", {"input": {"name": "while down"}}, key=keys.execute)
    assert r.status == 503, r
    err = r.json()
    assert err["success"] is False and err["error"]["code"] == "docker_unavailable", err
    assert err.get("serviceName") == "hello", err
    print(f"engine stopped: execute {r.status} {err['error']['code']}: {err['error']['message']}")
    msg = err["error"]["message"].lower()
    assert "docker" in msg or "engine" in msg, f"the message does not say what is down: {err}"
    # What does not need the engine keeps working.
    assert s.get("/api/services", key=keys.read).status == 200
    assert s.get("/api/runs", key=keys.read).status == 200

    engine.start()
    assert wait_for(lambda: health(s)[0] == 200, 15), f"health never recovered: {health(s)}"
    status, body = health(s)
    assert body["docker"] == "ok", body
    r = s.execute("hello", {"input": {"name": "after"}}, key=keys.execute)
    assert r.status == 200 and r.json()["success"] is True, r
    assert "after" in r.json()["metrics"]["stdout"]
    assert s.daemon_alive() and s.daemon.pid == pid, "ignite-fcgi was restarted or died"


def kill_engine_mid_run(s, engine, keys):
    """Starts sleep5, SIGKILLs the engine while it sleeps; returns the
    response, the seconds it took after the kill and the run's stored report."""
    before = {x["runId"] for x in s.get("/api/runs?limit=100", key=keys.read).json()["runs"]}
    t, box = in_thread(lambda: s.execute("sleep5", key=keys.execute, timeout=120))
    assert wait_for(lambda: [c for c in engine.managed() if c.get("State") == "running"], 20), \
        "the run never started"
    time.sleep(0.5)
    t0 = time.monotonic()
    engine.kill()
    t.join(60)
    took = time.monotonic() - t0
    assert not t.is_alive(), "the request hangs after the engine was killed"
    assert "error" not in box, box
    run = find_run(s, keys.read, "sleep5", before)
    assert run is not None, "the failed run is not listed by GET /api/runs"
    rep = s.get(f"/api/runs/{run['runId']}", key=keys.read)
    assert rep.status == 200, rep
    return box["value"], took, rep.json()


def test_engine_killed_mid_execution(make_stack, engine, keys):
    s = make_stack("dkill")
    r, took, report = kill_engine_mid_run(s, engine, keys)
    # A clear error within a bounded time (not the 5 s sleep, not a hang).
    assert took < 15, f"answered {took:.1f}s after the engine died"
    assert r.status == 503, r
    err = r.json()
    assert err["success"] is False and err["error"]["code"].startswith("docker"), err
    assert err["error"]["message"], err
    assert err.get("serviceName") == "sleep5", err
    print(f"engine killed: execute {r.status} after {took:.1f}s {err['error']['code']}: "
          f"{err['error']['message']}; run status {report['status']}")
    # The run is recorded as an error.
    assert report["status"] == "error", report
    assert s.daemon_alive()

    # Engine back: the daemon recovers without a restart ...
    engine.start()
    assert wait_for(lambda: health(s)[0] == 200, 20), health(s)
    r = s.execute("hello", key=keys.execute)
    assert r.status == 200 and r.json()["success"] is True, r
    # ... `ignite sweep` runs cleanly (it leaves a live daemon's containers) ...
    out = subprocess.run([str(BUILD / "ignite"), "sweep"], capture_output=True, text=True,
                         env=dict(os.environ, DOCKER_HOST=engine.host), timeout=120)
    assert out.returncode == 0, out
    # ... and the live daemon removes the container the engine's death left
    # behind (its removal is retried until the engine is back).
    left = wait_for(lambda: not engine.managed(), 30)
    assert left, f"containers left: {json.dumps(engine.managed())[:800]}"
    assert "container removed after retries" in s.log_text(), s.log_tail()
    # The error run survives a restart.
    assert s.stop_daemon() == 0, s.log_tail()
    s.start_daemon()
    assert s.get(f"/api/runs/{report['runId']}", key=keys.read).json() == report


def test_leftover_removed_without_daemon_restart(make_stack, engine, keys):
    s = make_stack("dkill2")
    try:
        r, _, report = kill_engine_mid_run(s, engine, keys)
        assert r.status == 503 and report["status"] == "error", (r, report)
        engine.start()
        assert wait_for(lambda: health(s)[0] == 200, 20), health(s)
        # The live daemon runs more executions; `ignite sweep` is run too.
        for _ in range(2):
            assert s.execute("hello", key=keys.execute).status == 200
        out = subprocess.run([str(BUILD / "ignite"), "sweep"], capture_output=True, text=True,
                             env=dict(os.environ, DOCKER_HOST=engine.host), timeout=120)
        assert out.returncode == 0, out
        left = wait_for(lambda: not engine.managed(), 15)
        assert left, ("container left while ignite-fcgi lives: "
                      f"{[c['Names'] for c in engine.managed()]}")
    finally:
        s.stop_daemon()
        engine.remove_managed()
