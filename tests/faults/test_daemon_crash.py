"""ignite-fcgi is SIGKILLed while a run is in flight (issue 7): nginx answers
502 at once instead of hanging, the next start sweeps the orphan container,
and the runs directory holds only complete reports."""
import os
import signal
import socket
import threading
import time

import pytest

from faultkit import runs_files, unparsable, wait_for


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


def owned_by(engine, pid):
    return [c for c in engine.managed()
            if (c.get("Labels") or {}).get("ignite.owner", "").split(".")[0] == str(pid)]


def crash(s):
    pid = s.daemon.pid
    s.daemon.send_signal(signal.SIGKILL)
    s.daemon.wait(10)
    s.daemon_exits.append(s.daemon.returncode)
    s.daemon = None
    return pid


def test_sigkill_mid_execution(make_stack, engine, keys):
    s = make_stack("fkill")
    # Some finished runs first: they must survive the crash intact.
    done = []
    for i in range(3):
        r = s.execute("hello", {"input": {"name": f"run {i}"}}, key=keys.execute)
        assert r.status == 200, r
        done.append(r.json()["runId"])
    stored = {rid: s.get(f"/api/runs/{rid}", key=keys.read).json() for rid in done}

    t, box = in_thread(lambda: s.execute("long-sleeper", key=keys.execute, timeout=120))
    assert wait_for(lambda: owned_by(engine, s.daemon.pid), 20), "the run never started"
    time.sleep(1.0)
    t0 = time.monotonic()
    pid = crash(s)
    t.join(30)
    took = time.monotonic() - t0
    assert not t.is_alive(), "nginx keeps the client waiting after the daemon died"
    assert "error" not in box, box
    r = box["value"]
    assert r.status in (502, 503), r
    assert took < 5, f"nginx answered {took:.1f}s after the crash"
    assert r.json()["success"] is False, r

    # While the daemon is down: quick 502/503 answers, not hangs.
    for path, key in (("/api/health", None), ("/api/runs", keys.read)):
        t1 = time.monotonic()
        r = s.get(path, key=key, timeout=30)
        assert r.status in (502, 503), (path, r)
        assert time.monotonic() - t1 < 5, (path, r.elapsed)
    r = s.execute("hello", key=keys.execute, timeout=30)
    assert r.status in (502, 503) and r.elapsed < 5, r

    # The orphan is still there (nothing cleaned up after the crash) ...
    assert owned_by(engine, pid), "the killed daemon's container vanished by itself"
    # ... and no half-written report exists.
    reports, other = runs_files(s.runs)
    assert not unparsable(reports), unparsable(reports)
    assert not other, f"files other than reports in the runs directory: {other}"

    s.start_daemon()
    assert wait_for(lambda: "swept containers" in s.log_text(), 10), s.log_tail()
    assert wait_for(lambda: not owned_by(engine, pid), 20), owned_by(engine, pid)
    assert s.get("/api/health").status == 200
    for rid, rep in stored.items():
        assert s.get(f"/api/runs/{rid}", key=keys.read).json() == rep
    listed = {x["runId"] for x in s.get("/api/runs?limit=100", key=keys.read).json()["runs"]}
    assert set(done) <= listed
    r = s.execute("hello", key=keys.execute)
    assert r.status == 200 and r.json()["success"] is True, r


def test_sigkill_mid_stream(make_stack, engine, keys):
    """Streaming: nginx already sent 200; the stream must end, not hang."""
    s = make_stack("fkills")
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    body = b'{"input":{}}'
    sock.sendall(b"POST /api/services/ticker/execute?stream=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 b"Authorization: Bearer " + keys.execute.encode() + b"\r\n"
                 b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    buf = b""
    while b"tick 3" not in buf:
        c = sock.recv(65536)
        assert c, f"stream ended early: {buf[:500]!r}"
        buf += c
    assert buf.startswith(b"HTTP/1.1 200"), buf[:200]
    t0 = time.monotonic()
    pid = crash(s)
    sock.settimeout(10)
    try:
        while True:
            c = sock.recv(65536)
            if not c:
                break
            buf += c
    except socket.timeout:
        pytest.fail(f"the stream stays open after the daemon died: {buf[-300:]!r}")
    finally:
        sock.close()
    assert time.monotonic() - t0 < 5
    # nginx ends the chunked body properly (last chunk included: with
    # fastcgi_buffering off it takes the closed upstream for the end of the
    # response and logs nothing), so what tells a client the run was cut off
    # is the missing result event.
    assert b'"event":"result"' not in buf, buf[-300:]
    s.start_daemon()
    assert wait_for(lambda: not owned_by(engine, pid), 20), owned_by(engine, pid)
    reports, other = runs_files(s.runs)
    assert not unparsable(reports) and not other, (unparsable(reports), other)


def test_stale_temp_report_cleaned_on_start(make_stack, keys):
    s = make_stack("ftemp")
    r = s.execute("hello", key=keys.execute)
    assert r.status == 200, r
    rid = r.json()["runId"]
    crash(s)
    # What a crash in the middle of an atomic write leaves: a truncated temp.
    stale = s.runs / f".{'ab' * 16}.json.tmp-0011223344556677"
    stale.write_bytes(b'{"runId":"' + b"ab" * 16 + b'","serviceName":"hel')
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    # A young one may be a write in progress of another process sharing the
    # directory (the CLI): it stays.
    fresh = s.runs / f".{'cd' * 16}.json.tmp-8899aabbccddeeff"
    fresh.write_bytes(b'{"runId":"' + b"cd" * 16 + b'"')
    s.start_daemon()
    # The half files are never served as runs ...
    for half in ("ab" * 16, "cd" * 16):
        assert s.get(f"/api/runs/{half}", key=keys.read).status == 404
    runs = s.get("/api/runs?limit=100", key=keys.read).json()["runs"]
    assert [x["runId"] for x in runs] == [rid]
    # ... and the stale one is cleaned up.
    assert wait_for(lambda: not stale.exists(), 5), \
        f"stale temp report still there: {sorted(os.listdir(s.runs))}"
    assert fresh.exists()
    fresh.unlink()
