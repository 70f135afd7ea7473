"""The daemon's life cycle (DESIGN §7, issue 4): run history survives a
restart, SIGTERM lets in-flight runs finish and exits 0, a grace period that
runs out cancels runs and removes their containers, and after a crash
(SIGKILL) the next start sweeps the containers left behind and no
half-written report remains."""
import json
import os
import signal
import threading
import time

import pytest

from harness import idle_warm, wait_for


def containers_of(engine, service, pid):
    return [c for c in engine.managed()
            if (c.get("Labels") or {}).get("ignite.service") == service
            and not idle_warm(c)
            and (c.get("Labels") or {}).get("ignite.owner", "").split(".")[0] == str(pid)]


def in_thread(fn):
    box = {}

    def run():
        try:
            box["value"] = fn()
        except Exception as e:       # reported by the test
            box["error"] = e

    t = threading.Thread(target=run)
    t.start()
    return t, box


def check_runs_dir(runs):
    """Every file in the runs directory is a complete JSON report."""
    bad = []
    for dirpath, _, files in os.walk(runs):
        for f in files:
            p = os.path.join(dirpath, f)
            if not f.endswith(".json"):
                bad.append(p)
                continue
            try:
                with open(p, "rb") as fh:
                    json.load(fh)
            except ValueError:
                bad.append(p)
    return bad


def test_history_survives_restart(make_stack, keys):
    s = make_stack("restart")
    r = s.execute("hello", {"input": {"name": "before restart"}}, key=keys.execute)
    assert r.status == 200, r
    before = r.json()
    rid = before["runId"]
    stored = s.get(f"/api/runs/{rid}", key=keys.read).json()
    assert s.stop_daemon() == 0, f"SIGTERM did not end the daemon with 0:\n{s.log_tail()}"
    s.start_daemon()
    r = s.get(f"/api/runs/{rid}", key=keys.read)
    assert r.status == 200, r
    assert r.json() == stored
    assert "before restart" in r.json()["metrics"]["stdout"]
    assert rid in [x["runId"] for x in s.get("/api/runs", key=keys.read).json()["runs"]]
    page = s.get(f"/runs/{rid}")
    assert page.status == 200 and "before restart" in page.text


def test_sigterm_lets_in_flight_run_finish(make_stack, keys, engine):
    s = make_stack("drain", "--shutdown-grace", "20")
    t, box = in_thread(lambda: s.execute("slow-print", key=keys.execute))
    assert wait_for(lambda: containers_of(engine, "slow-print", s.daemon.pid), 10), "the run never started"
    rc = s.stop_daemon(grace=30)
    t.join(30)
    assert rc == 0, f"exit {rc}:\n{s.log_tail()}"
    assert "error" not in box, box
    r = box["value"]
    assert r.status == 200 and r.json()["success"] is True, r
    assert r.json()["metrics"]["stdout"] == "first\nsecond\n"
    s.start_daemon()
    assert s.get(f"/api/runs/{r.json()['runId']}", key=keys.read).status == 200


def test_grace_period_over_cancels_runs(make_stack, keys, engine):
    s = make_stack("grace", "--shutdown-grace", "1")
    t, box = in_thread(lambda: s.execute("long-sleeper", key=keys.execute, timeout=60))
    assert wait_for(lambda: containers_of(engine, "long-sleeper", s.daemon.pid), 10), "the run never started"
    pid = s.daemon.pid
    t0 = time.monotonic()
    rc = s.stop_daemon(grace=20)
    took = time.monotonic() - t0
    t.join(30)
    assert rc == 0, f"exit {rc}:\n{s.log_tail()}"
    assert took < 10, f"SIGTERM took {took:.1f}s with a 1 s grace period"
    left = wait_for(lambda: not containers_of(engine, "long-sleeper", pid), 10)
    assert left, f"containers left after shutdown: {containers_of(engine, 'long-sleeper', pid)}"
    assert not check_runs_dir(s.runs), check_runs_dir(s.runs)
    if "value" in box and box["value"].status == 200:
        assert box["value"].json()["success"] is False, box["value"]


def test_crash_leaves_no_half_report_and_next_start_sweeps(make_stack, keys, engine):
    s = make_stack("crash")
    t, box = in_thread(lambda: s.execute("long-sleeper", key=keys.execute, timeout=60))
    first_pid = s.daemon.pid
    assert wait_for(lambda: containers_of(engine, "long-sleeper", first_pid), 10), "the run never started"
    s.daemon.send_signal(signal.SIGKILL)          # a crash: nothing gets to clean up
    s.daemon.wait(10)
    s.daemon = None
    t.join(30)
    assert not check_runs_dir(s.runs), f"half-written reports: {check_runs_dir(s.runs)}"
    s.start_daemon()                              # sweeps on start-up
    gone = wait_for(lambda: not containers_of(engine, "long-sleeper", first_pid), 15)
    assert gone, f"not swept: {containers_of(engine, 'long-sleeper', first_pid)}"
    assert s.get("/api/health").status == 200
    r = s.execute("hello", key=keys.execute)
    assert r.status == 200 and r.json()["success"] is True, r
