"""Streaming execute (?stream=1): NDJSON through nginx without buffering —
lines arrive while the service runs, in the order preflight → output… →
result."""
import http.client
import json
import time

import pytest

from harness import idle_warm


class Stream:
    def __init__(self, status, headers, events, times, raw_lines):
        self.status = status
        self.headers = headers
        self.events = events       # parsed objects
        self.times = times         # arrival time of each, seconds after the request
        self.raw_lines = raw_lines

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def kinds(self):
        return [e.get("event") for e in self.events]


def stream(stack, service, body=None, key=None, query="?stream=1", stop_after=None, timeout=90):
    """POSTs an execute and reads the answer line by line, timing each."""
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=timeout)
    data = json.dumps({"input": {}} if body is None else body).encode()
    t0 = time.monotonic()
    events, times, raw = [], [], []
    try:
        conn.request("POST", f"/api/services/{service}/execute{query}", body=data,
                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        headers = resp.getheaders()
        if resp.status != 200 or not (resp.getheader("Content-Type") or "").startswith("application/x-ndjson"):
            return Stream(resp.status, headers, [json.loads(resp.read())], [time.monotonic() - t0], [])
        while True:
            line = resp.readline()
            if not line:
                break
            raw.append(line)
            times.append(time.monotonic() - t0)
            assert line.endswith(b"\n"), f"a partial line: {line!r}"
            events.append(json.loads(line))
            if stop_after is not None and len(events) >= stop_after:
                break
    finally:
        conn.close()
    return Stream(resp.status, headers, events, times, raw)


def test_lines_arrive_before_the_run_ends(stack, keys):
    s = stream(stack, "slow-print", key=keys.execute)
    assert s.status == 200, s.events
    assert s.header("Content-Type").startswith("application/x-ndjson"), s.headers
    kinds = s.kinds()
    assert kinds[0] == "preflight" and kinds[-1] == "result", kinds
    assert kinds.count("result") == 1 and kinds.count("preflight") == 1, kinds
    assert set(kinds[1:-1]) <= {"stdout", "stderr"}, kinds
    out = [(e["data"], t) for e, t in zip(s.events, s.times) if e["event"] == "stdout"]
    first = next(t for d, t in out if "first" in d)
    second = next(t for d, t in out if "second" in d)
    result_t = s.times[-1]
    assert result_t - first >= 0.7, (
        f"first stdout line at {first:.2f}s, result at {result_t:.2f}s: the stream was buffered")
    assert second - first >= 0.7, (first, second)
    assert any(e["event"] == "stderr" and "between" in e["data"] for e in s.events), s.events
    res = s.events[-1]
    assert res["success"] is True and res["serviceName"] == "slow-print", res
    assert res["metrics"]["stdout"] == "first\nsecond\n", res["metrics"]
    assert res["preflight"]["overallStatus"] == s.events[0]["preflight"]["overallStatus"]
    # The streamed run is stored like any other.
    r = stack.get(f"/api/runs/{res['runId']}", key=keys.read)
    assert r.status == 200 and r.json()["metrics"]["stdout"] == "first\nsecond\n", r


@pytest.mark.parametrize("q", ["?stream=true", "?x=1&stream=1"])
def test_stream_query_variants(stack, keys, q):
    s = stream(stack, "hello", key=keys.execute, query=q)
    assert s.status == 200 and s.kinds()[0] == "preflight" and s.kinds()[-1] == "result", s.events


def test_no_stream_without_the_query(stack, keys):
    for q in ("", "?stream=0", "?stream=no"):
        r = stack.execute("hello", key=keys.execute, query=q)
        assert r.status == 200 and r.header("Content-Type").startswith("application/json"), (q, r)


def test_stream_of_failing_service(stack, keys):
    s = stream(stack, "fail-exit", key=keys.execute)
    assert s.status == 200 and s.kinds()[-1] == "result", s.events
    res = s.events[-1]
    assert res["success"] is False and res["metrics"]["exitCode"] == 1, res
    assert any(e["event"] == "stderr" and "went wrong" in e["data"] for e in s.events), s.events


def test_stream_of_timeout(stack, keys):
    s = stream(stack, "sleeper", key=keys.execute)
    res = s.events[-1]
    assert res["event"] == "result" and res["metrics"]["timedOut"] is True, res


def test_stream_preflight_failure(stack, keys):
    s = stream(stack, "preflight-fail", key=keys.execute)
    assert s.status in (200, 400), s.events
    if s.status == 200:
        kinds = s.kinds()
        assert kinds[0] == "preflight" and kinds[-1] == "result" and "stdout" not in kinds, kinds
        assert s.events[0]["preflight"]["overallStatus"] == "fail"
        assert s.events[-1]["success"] is False
    else:
        assert s.events[0]["preflight"]["overallStatus"] == "fail", s.events


def test_stream_hostile_output_lines_are_json(stack, keys):
    s = stream(stack, "hostile-output", key=keys.execute)
    for line in s.raw_lines:
        line.decode("utf-8")          # strict
    out = "".join(e["data"] for e in s.events if e["event"] == "stdout")
    assert "<script>alert(1)</script>" in out and "\ufffd" in out, out


def test_stream_errors_before_start_are_plain_json(stack, keys):
    s = stream(stack, "no-such-service", key=keys.execute)
    assert s.status == 404 and s.events[0]["error"]["code"] == "not_found", s.events
    s = stream(stack, "hello", body={"input": {}, "bogus": 1}, key=keys.execute)
    assert s.status == 400 and "bogus" in s.events[0]["error"]["message"], s.events
    s = stream(stack, "hello", key="ign_000000000000_" + "A" * 43)
    assert s.status == 401, s.events


def test_client_leaving_mid_stream(stack, keys, engine):
    """A client that hangs up mid-stream: the run stops (the next write
    fails), its container goes, the daemon carries on."""
    s = stream(stack, "long-sleeper", key=keys.execute, stop_after=3)
    assert [e["event"] for e in s.events][:2] == ["preflight", "stdout"], s.events
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        mine = [c for c in engine.managed()
                if (c.get("Labels") or {}).get("ignite.service") == "long-sleeper"
                and not idle_warm(c)
                and (c.get("Labels") or {}).get("ignite.owner", "").split(".")[0] == str(stack.daemon.pid)]
        if not mine:
            break
        time.sleep(0.25)
    assert not mine, f"the run went on after its client left: {mine}"
    assert stack.daemon_alive()
    runs = stack.get("/api/runs?service=long-sleeper&limit=1", key=keys.read).json()["runs"]
    assert runs and runs[0]["status"] != "success", runs
