"""Clients that walk away (issue 7): a streaming client that closes its socket
after the first event, and a plain client that closes while its run is still
going. The execution is stopped or completed, recorded, its container
removed, and the daemon carries on."""
import json
import socket
import time

from faultkit import runs_files, unparsable, wait_for


def start_request(stack, key, service, query=""):
    body = b'{"input":{}}'
    s = socket.create_connection(("127.0.0.1", stack.port), timeout=30)
    s.sendall(f"POST /api/services/{service}/execute{query} HTTP/1.1\r\nHost: x\r\n"
              f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
              f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    return s


def read_until(sock, marker, limit=1 << 20):
    buf = b""
    while marker not in buf:
        c = sock.recv(65536)
        assert c, f"connection closed before {marker!r}: {buf[:500]!r}"
        buf += c
        assert len(buf) < limit
    return buf


def run_ids(stack, key, service):
    r = stack.get(f"/api/runs?service={service}&limit=100", key=key)
    assert r.status == 200, r
    return [x["runId"] for x in r.json()["runs"]]


def test_stream_client_gone_after_first_event(make_stack, engine, keys):
    s = make_stack("gone-stream")
    before = set(run_ids(s, keys.read, "ticker"))
    conns = []
    # One leaves after the first event (preflight, before the container
    # starts), two after the first line of output (the container runs).
    for marker in (b'"event":', b"tick 1", b"tick 1"):
        c = start_request(s, keys.execute, "ticker", "?stream=1")
        head = read_until(c, marker)
        assert head.startswith(b"HTTP/1.1 200"), head[:200]
        c.close()
        conns.append(time.monotonic())
    # Containers go: ticker would run 6 s; stopping early is allowed, and so is
    # finishing, but within a bound and without a trace.
    gone = wait_for(lambda: not engine.managed(), 25)
    took = time.monotonic() - conns[0]
    assert gone, f"containers left {took:.1f}s after the clients left: {engine.managed()}"
    # Every execution is recorded, with a complete report.
    new = wait_for(lambda: [x for x in run_ids(s, keys.read, "ticker") if x not in before]
                   if len(set(run_ids(s, keys.read, "ticker")) - before) >= 3 else None, 10)
    assert new and len(new) == 3, f"runs recorded: {new}"
    for rid in new:
        r = s.get(f"/api/runs/{rid}", key=keys.read)
        assert r.status == 200, r
        rep = r.json()
        assert rep["serviceName"] == "ticker" and rep.get("status"), rep
    reports, other = runs_files(s.runs)
    assert not unparsable(reports) and not other, (unparsable(reports), other)
    assert s.daemon_alive()
    r = s.execute("hello", key=keys.execute)
    assert r.status == 200 and r.json()["success"] is True, r
    print(f"stream clients gone: containers removed {took:.1f}s after the first left; "
          f"statuses {[s.get(f'/api/runs/{x}', key=keys.read).json().get('status') for x in new]}")


def test_plain_client_gone_mid_run(make_stack, engine, keys):
    s = make_stack("gone-plain")
    before = set(run_ids(s, keys.read, "sleep5"))
    c = start_request(s, keys.execute, "sleep5")
    assert wait_for(lambda: engine.managed(), 10), "the run never started"
    c.close()
    assert wait_for(lambda: not engine.managed(), 25), engine.managed()
    new = wait_for(lambda: [x for x in run_ids(s, keys.read, "sleep5") if x not in before], 10)
    assert new and len(new) == 1, new
    rep = s.get(f"/api/runs/{new[0]}", key=keys.read).json()
    assert rep["serviceName"] == "sleep5" and rep.get("status"), rep
    print(f"plain client gone: run status {rep['status']}")
    assert s.daemon_alive()
    assert s.get("/api/health").status == 200


def test_client_gone_before_the_body(make_stack, engine, keys):
    """Headers promise a body that never comes, then the client leaves."""
    s = make_stack("gone-body")
    for _ in range(5):
        c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        c.sendall(f"POST /api/services/hello/execute HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: Bearer {keys.execute}\r\nContent-Type: application/json\r\n"
                  f"Content-Length: 1000\r\n\r\n{{\"input\":".encode())
        time.sleep(0.1)
        c.close()
    time.sleep(1)
    assert not engine.managed()
    assert s.daemon_alive()
    assert run_ids(s, keys.read, "hello") == []
    r = s.execute("hello", key=keys.execute)
    assert r.status == 200, r
    assert json.loads(r.body)["success"] is True
