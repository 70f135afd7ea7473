"""ignite-fcgi under valgrind memcheck (issue 7): an HTTP workload through
nginx -- a few executes, streaming, and many requests that need no
container, valid and invalid -- then SIGTERM. 0 errors, 0 definite leaks."""
import re
import shutil
import socket
import time

import pytest

from faultkit import harness, wait_for

VALGRIND = shutil.which("valgrind")
JSON = "application/json"


class ValgrindStack(harness.Stack):
    def __init__(self, *a, vg_log, **kw):
        super().__init__(*a, **kw)
        self.vg_log = vg_log

    def daemon_cmd(self):
        return ["valgrind", "--leak-check=full", "--errors-for-leak-kinds=definite",
                "--show-leak-kinds=definite", "--error-exitcode=99", "--num-callers=30",
                f"--log-file={self.vg_log}", *super().daemon_cmd()]


def workload(s, keys):
    """Returns a list of problems (unexpected statuses)."""
    problems = []

    def want(r, status, what):
        if r.status != status:
            problems.append(f"{what}: HTTP {r.status} {r.body[:200]!r}")
        return r

    rids = []
    for i, (svc, inp) in enumerate([("hello", {"name": "vg"}),
                                    ("data-processor", {"items": [1, 2, 3]}),
                                    ("hello", {"name": "x" * 2000})]):
        r = want(s.execute(svc, {"input": inp}, key=keys.execute, timeout=180), 200, f"execute {svc}")
        if r.status == 200:
            rids.append(r.json()["runId"])
    r = want(s.execute("hello", key=keys.execute, query="?stream=1", timeout=180), 200, "stream")
    if b'"event":"result"' not in r.body:
        problems.append(f"stream without result: {r.body[-300:]!r}")
    # A streaming client that leaves after the first line: the cancel path.
    c = socket.create_connection(("127.0.0.1", s.port), timeout=60)
    body = b'{"input":{}}'
    c.sendall(f"POST /api/services/ticker/execute?stream=1 HTTP/1.1\r\nHost: x\r\n"
              f"Authorization: Bearer {keys.execute}\r\nContent-Type: application/json\r\n"
              f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    buf = b""
    while b"tick 1" not in buf:
        chunk = c.recv(65536)
        if not chunk:
            problems.append(f"ticker stream ended early: {buf[-300:]!r}")
            break
        buf += chunk
    c.close()
    for i in range(20):
        if i == 10:
            s.sighup()          # keys and configuration reloaded mid-way
        want(s.get("/api/health"), 200, "health")
        want(s.get("/api/services", key=keys.read), 200, "services")
        want(s.get("/api/services/hello", key=keys.read), 200, "service")
        want(s.get("/api/services/hello/preflight", key=keys.read), 200, "preflight")
        want(s.get("/api/runs?limit=5", key=keys.read), 200, "runs")
        want(s.get("/api/runs?service=hello&limit=1", key=keys.read), 200, "runs filtered")
        for rid in rids:
            want(s.get(f"/api/runs/{rid}", key=keys.read), 200, "run")
            want(s.get(f"/runs/{rid}"), 200, "run page")
        want(s.get("/api/metrics", key=keys.read), 200, "metrics")
        want(s.get("/api/runs/" + "0" * 32, key=keys.read), 404, "unknown run")
        want(s.get("/api/services/nope", key=keys.read), 404, "unknown service")
        want(s.get("/api/services/..%2f..%2fetc", key=keys.read), 400, "traversal")
        want(s.get("/api/nowhere", key=keys.read), 404, "unknown route")
        want(s.request("DELETE", "/api/services", key=keys.read), 405, "method")
        want(s.execute("hello", "{not json", key=keys.execute, content_type=JSON), 400, "bad JSON")
        want(s.execute("hello", {"input": {}, "audit": "yes"}, key=keys.execute), 400, "bad field")
        want(s.execute("hello", "[" * 5000 + "]" * 5000, key=keys.execute, content_type=JSON), 400,
             "deep JSON")
        want(s.execute("nope", key=keys.execute), 404, "execute unknown service")
        want(s.execute("hello", "{}", key=keys.execute, content_type="text/plain"), 415, "type")
        want(s.execute("hello", key=keys.read), 403, "read key executes")
        want(s.get("/login"), 200, "login page")
        want(s.get("/"), 303, "index without login")
    # Auth failures cost a decoy scrypt each: a handful.
    for bad in ("", "Bearer", "ign_000000000000_" + "A" * 43, "x" * 300):
        want(harness.http_request(s.port, "GET", "/api/services",
                                  headers={"Authorization": bad} if bad else {}), 401, "auth")
    return problems


@pytest.mark.slow
@pytest.mark.skipif(VALGRIND is None, reason="valgrind is not installed")
@pytest.mark.parametrize("mode", ["cold", "warm-pool"])
def test_daemon_under_valgrind(mode, engine, workdir, services_dir, keys):
    vg_log = workdir / f"valgrind-{mode}.log"
    extra = ["--warm-pool", "1"] if mode == "warm-pool" else []
    s = ValgrindStack(f"vg-{mode}", workdir, services_dir, keys.path,
                      [*extra, "--docker-host", engine.host, "--workers", "4",
                       "--rate-limit", "100000", "--auth-failure-limit", "100000",
                       "--shutdown-grace", "30"], vg_log=vg_log)
    try:
        s.start_daemon(timeout=120)
        s.start_nginx()
        t0 = time.monotonic()
        problems = workload(s, keys)
        took = time.monotonic() - t0
        assert s.daemon_alive(), f"the daemon died under valgrind:\n{s.log_tail()}"
        s.stop_nginx()
        rc = s.stop_daemon(grace=120)
    finally:
        s.stop()
    log = vg_log.read_text(errors="replace")
    summary = re.search(r"ERROR SUMMARY: (\d+) errors", log)
    definite = re.search(r"definitely lost: ([\d,]+) bytes in ([\d,]+) blocks", log)
    print(f"valgrind ({mode}): workload {took:.0f}s, exit {rc}, "
          f"{summary.group(0) if summary else 'no summary'}, "
          f"{definite.group(0) if definite else 'definitely lost: 0 bytes'}")
    assert not problems, "\n".join(sorted(set(problems)))
    assert summary, f"no valgrind summary (exit {rc}):\n{log[-3000:]}"
    assert summary.group(1) == "0" and rc == 0, f"valgrind (exit {rc}):\n{log[-6000:]}"
    assert definite is None or definite.group(1) == "0", log[-6000:]
    assert wait_for(lambda: not engine.managed(), 15), engine.managed()
