"""httpload.py — a small closed-loop HTTP load client for the execute endpoint.

Each of C threads keeps one keep-alive connection to nginx and sends the
next request as soon as the previous answer is complete (closed loop, no
think time), until the deadline or a request count is reached. A request is
an error when the status is not 200, the body is not JSON with
"success": true, or the expected output is missing. Latency is measured
from sending the request to having read the whole body.
"""

import http.client
import json
import threading
import time


class Target:
    def __init__(self, port, path, key, body=None, method="POST", expect_stdout=None):
        self.port = port
        self.path = path
        self.method = method
        self.body = json.dumps(body).encode() if body is not None else None
        self.headers = {"Authorization": "Bearer " + key}
        if self.body is not None:
            self.headers["Content-Type"] = "application/json"
        self.expect_stdout = expect_stdout


def one(conn, t):
    """Sends one request on conn. Returns (ok, status, latency_s, parsed_json_or_None, why)."""
    t0 = time.perf_counter()
    conn.request(t.method, t.path, body=t.body, headers=t.headers)
    resp = conn.getresponse()
    raw = resp.read()
    lat = time.perf_counter() - t0
    if resp.status != 200:
        return False, resp.status, lat, None, f"status {resp.status}"
    if t.expect_stdout is None:
        return True, 200, lat, None, ""
    try:
        j = json.loads(raw)
    except ValueError:
        return False, 200, lat, None, "body is not JSON"
    if j.get("success") is not True:
        m = j.get("metrics") or {}
        e = j.get("error") or {}
        if e:
            why = f"success false: {e.get('code')}"
        else:
            why = (f"success false: exitCode {m.get('exitCode')}, timedOut {m.get('timedOut')}, "
                   f"oomKilled {m.get('oomKilled')}, coldStart {m.get('coldStart')}")
        return False, 200, lat, j, why
    out = (j.get("metrics") or {}).get("stdout") or ""
    if t.expect_stdout not in out:
        return False, 200, lat, j, "unexpected stdout"
    return True, 200, lat, j, ""


def run(target, concurrency, duration_s=None, count=None, on_result=None):
    """Closed-loop load: concurrency threads until duration_s has passed (no
    new request starts after it) or count requests were sent. Returns a dict
    with completed, errors, error kinds, latencies (s) and elapsed (s)."""
    lock = threading.Lock()
    state = {"sent": 0, "ok": 0, "errors": 0, "why": {}, "lat": [], "cold": 0, "warm": 0}
    start = time.perf_counter()
    deadline = start + duration_s if duration_s else None
    last_end = [start]

    def worker():
        conn = None
        while True:
            with lock:
                if count is not None and state["sent"] >= count:
                    break
                if deadline is not None and time.perf_counter() >= deadline:
                    break
                state["sent"] += 1
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=120)
            try:
                ok, status, lat, j, why = one(conn, target)
            except (OSError, http.client.HTTPException) as e:
                ok, status, lat, j, why = False, 0, 0.0, None, type(e).__name__
                conn.close()
                conn = None
            now = time.perf_counter()
            with lock:
                last_end[0] = max(last_end[0], now)
                if ok:
                    state["ok"] += 1
                    state["lat"].append(lat)
                    cs = (j or {}).get("metrics", {}).get("coldStart") if j else None
                    if cs is True:
                        state["cold"] += 1
                    elif cs is False:
                        state["warm"] += 1
                else:
                    state["errors"] += 1
                    state["why"][why] = state["why"].get(why, 0) + 1
            if on_result is not None:
                on_result(ok, lat, j)
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    state["elapsed"] = last_end[0] - start
    return state
