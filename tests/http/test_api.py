"""The JSON API of DESIGN §5 through nginx: every route, its shape and its
success and error statuses (request-body and auth errors: test_requests.py,
test_auth.py; limits: test_limits.py)."""
import re
import secrets
import time

import pytest

from harness import of_run

RUN_ID = re.compile(r"[0-9a-f]{32}")


def error_of(r, status, code=None):
    """Checks the one error shape and returns the error object."""
    assert r.status == status, r
    assert r.header("Content-Type", "").startswith("application/json"), r.headers
    body = r.json()
    assert body.get("success") is False, body
    err = body.get("error")
    assert isinstance(err, dict) and isinstance(err.get("code"), str) and isinstance(err.get("message"), str), body
    if code is not None:
        assert err["code"] == code, body
    return err


# ---- health -------------------------------------------------------------------

def test_health_is_public_and_ok(stack):
    r = stack.get("/api/health")
    assert r.status == 200, r
    b = r.json()
    assert b["status"] == "ok" and b["docker"] == "ok", b
    assert isinstance(b["version"], str) and b["version"], b
    assert isinstance(b["uptime"], int) and b["uptime"] >= 0, b
    assert r.header("X-Request-Id"), r.headers


def test_head_health_has_no_body(stack):
    r = stack.request("HEAD", "/api/health")
    assert r.status == 200 and r.body == b"", r


# ---- services -------------------------------------------------------------------

def test_services_list(stack, keys):
    r = stack.get("/api/services", key=keys.read)
    assert r.status == 200, r
    svcs = {s["name"]: s for s in r.json()["services"]}
    for name in ("hello", "data-processor", "fail-exit", "sleeper", "hostile-output",
                 "preflight-fail", "slow-print", "broken"):
        assert name in svcs, sorted(svcs)
    assert svcs["hello"]["runtime"] == "node@24" and svcs["hello"]["entry"] == "index.ts", svcs["hello"]
    for s in svcs.values():
        assert set(("name", "runtime", "entry")) <= set(s), s
    assert "outside" not in svcs, "a service outside the services directory is listed"
    names = [s["name"] for s in r.json()["services"]]
    assert names == sorted(names)


def test_service_get(stack, keys):
    r = stack.get("/api/services/hello", key=keys.read)
    assert r.status == 200, r
    b = r.json()
    text = r.text
    assert "hello" in text and "node@24" in text and "index.ts" in text, b
    assert "5000" in text and "128" in text, b


def test_service_get_invalid_config_names_the_problem(stack, keys):
    err = error_of(stack.get("/api/services/broken", key=keys.read), 400, "invalid_service")
    problems = "\n".join(err.get("problems", []))
    assert "memoryMB" in problems and "timeoutMs" in problems, err


@pytest.mark.parametrize("name", ["Hello", "-hello", "hello-", "a" * 64, "he_llo", "he.llo", "h%20i"])
def test_service_invalid_name_400(stack, keys, name):
    error_of(stack.get(f"/api/services/{name}", key=keys.read), 400, "invalid_name")


def test_service_unknown_404(stack, keys):
    error_of(stack.get("/api/services/no-such-service", key=keys.read), 404, "not_found")
    error_of(stack.get("/api/services/no-such-service/preflight", key=keys.read), 404, "not_found")
    error_of(stack.execute("no-such-service", key=keys.execute), 404, "not_found")


# ---- preflight -------------------------------------------------------------------

def test_preflight(stack, keys):
    r = stack.get("/api/services/hello/preflight", key=keys.read)
    assert r.status == 200, r
    b = r.json()
    assert b["serviceName"] == "hello", b
    pf = b["preflight"]
    assert pf["overallStatus"] == "pass", pf
    names = {c["name"] for c in pf["checks"]}
    assert {"memory-allocation", "dependency-count", "timeout-config"} <= names, names
    for c in pf["checks"]:
        assert c["status"] in ("pass", "warn", "fail") and isinstance(c["message"], str), c


def test_preflight_fail_is_reported_not_refused(stack, keys):
    r = stack.get("/api/services/preflight-fail/preflight", key=keys.read)
    assert r.status == 200, r
    pf = r.json()["preflight"]
    assert pf["overallStatus"] == "fail", pf
    assert any(c["name"] == "memory-allocation" and c["status"] == "fail" for c in pf["checks"]), pf


def test_preflight_invalid_service_400(stack, keys):
    error_of(stack.get("/api/services/broken/preflight", key=keys.read), 400, "invalid_service")


# ---- execute -------------------------------------------------------------------

def test_execute_success(stack, keys, engine):
    r = stack.execute("hello", {"input": {"name": "Ada"}}, key=keys.execute)
    assert r.status == 200, r
    b = r.json()
    assert b["success"] is True and b["serviceName"] == "hello", b
    assert RUN_ID.fullmatch(b["runId"]) and b["reportUrl"] == f"/runs/{b['runId']}", b
    m = b["metrics"]
    for k in ("executionTimeMs", "memoryUsageMb", "coldStart", "exitCode", "timedOut", "oomKilled",
              "stdout", "stderr", "outputTruncated"):
        assert k in m, (k, m)
    assert m["exitCode"] == 0 and m["timedOut"] is False and m["oomKilled"] is False, m
    assert '{"message":"Hello, Ada!"}' in m["stdout"], m
    assert b["preflight"]["overallStatus"] == "pass" and b["preflight"]["serviceName"] == "hello", b
    audit = b["securityAudit"]
    assert isinstance(audit["events"], list) and "policy" in audit, audit
    s = audit["summary"]
    for k in ("networkAttempts", "networkBlocked", "filesystemReads", "filesystemWrites",
              "filesystemBlocked", "processSpawns", "processBlocked", "overallStatus"):
        assert k in s, (k, s)
    assert s["overallStatus"] == "clean", s
    # The container goes after the answer (removal is off the response path).
    deadline = time.monotonic() + 15
    while True:
        left = [c for c in engine.managed() if of_run(c, b["runId"])]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not left, f"run {b['runId']} left its container: {left}"


def test_execute_data_processor(stack, keys):
    r = stack.execute("data-processor", {"input": {"data": [1, 2, 3.5], "operation": "sum"}},
                      key=keys.execute)
    assert r.status == 200 and r.json()["success"] is True, r
    assert '"result":6.5' in r.json()["metrics"]["stdout"].replace(" ", ""), r.json()["metrics"]


def test_execute_exit_1_is_200_success_false(stack, keys):
    r = stack.execute("fail-exit", key=keys.execute)
    assert r.status == 200, r
    b = r.json()
    assert b["success"] is False and b["metrics"]["exitCode"] == 1, b
    assert b["metrics"]["timedOut"] is False, b
    assert "about to fail" in b["metrics"]["stdout"] and "went wrong" in b["metrics"]["stderr"], b


def test_execute_timeout_is_200_timed_out(stack, keys):
    r = stack.execute("sleeper", key=keys.execute)
    assert r.status == 200, r
    b = r.json()
    assert b["success"] is False and b["metrics"]["timedOut"] is True, b
    assert "sleeping" in b["metrics"]["stdout"], b
    assert r.elapsed < 20, f"a 1.5 s timeout took {r.elapsed:.1f}s to answer"


def test_execute_preflight_fail_400_with_preflight(stack, keys):
    r = stack.execute("preflight-fail", key=keys.execute)
    assert r.status == 400, r
    b = r.json()
    assert b["success"] is False and b["serviceName"] == "preflight-fail", b
    assert b["preflight"]["overallStatus"] == "fail", b
    assert "ran anyway" not in r.text


def test_execute_invalid_service_400(stack, keys):
    b = error_of(stack.execute("broken", key=keys.execute), 400, "invalid_service")
    assert b.get("problems"), b


def test_execute_hostile_output_is_valid_json(stack, keys):
    r = stack.execute("hostile-output", key=keys.execute)
    assert r.status == 200, r
    r.body.decode("utf-8")       # strict: the answer itself is valid UTF-8
    m = r.json()["metrics"]
    assert "<script>alert(1)</script>" in m["stdout"], m
    assert "\ufffd" in m["stdout"] and "bad:" in m["stdout"], m
    assert "</pre>" in m["stderr"], m


def test_execute_audit_false_403(stack, keys):
    error_of(stack.execute("hello", {"input": {}, "audit": False}, key=keys.execute), 403)


@pytest.mark.parametrize("value", [None, 5, True, 1.5, "text", [1, "two"], {"nested": {"a": [None]}}])
def test_execute_any_json_input(stack, keys, value):
    """DESIGN §5: "input": <any JSON> — scalars included."""
    r = stack.execute("hello", {"input": value}, key=keys.execute)
    assert r.status == 200, r
    b = r.json()
    assert b["success"] is True and b["input"] == value, b


def test_execute_audit_true_explicit(stack, keys):
    r = stack.execute("hello", {"input": "x", "audit": True, "skipPreflight": False}, key=keys.execute)
    assert r.status == 200 and r.json()["success"] is True, r


# ---- runs -------------------------------------------------------------------

@pytest.fixture(scope="module")
def history(stack, keys):
    """Runs made for the pagination tests, newest last."""
    ids = []
    for i in range(3):
        r = stack.execute("hello", {"input": {"name": f"page{i}"}}, key=keys.execute)
        assert r.status == 200, r
        ids.append(r.json()["runId"])
    r = stack.execute("data-processor", {"input": {"data": [1], "operation": "max"}}, key=keys.execute)
    assert r.status == 200, r
    ids.append(r.json()["runId"])
    return ids


def test_run_get(stack, keys, history):
    rid = history[0]
    r = stack.get(f"/api/runs/{rid}", key=keys.read)
    assert r.status == 200, r
    b = r.json()
    assert b["runId"] == rid and b["serviceName"] == "hello" and b["success"] is True, b
    assert "page0" in b["metrics"]["stdout"], b
    assert "securityAudit" in b and "preflight" in b, sorted(b)


def test_runs_newest_first(stack, keys, history):
    r = stack.get("/api/runs?limit=4", key=keys.read)
    assert r.status == 200, r
    got = [x["runId"] for x in r.json()["runs"]]
    assert got == list(reversed(history)), (got, history)
    for x in r.json()["runs"]:
        assert {"runId", "serviceName", "status"} <= set(x), x


def test_runs_pagination(stack, keys, history):
    r = stack.get("/api/runs?service=hello&limit=2", key=keys.read)
    assert r.status == 200, r
    page1 = r.json()
    assert [x["runId"] for x in page1["runs"]] == [history[2], history[1]], page1
    assert page1["next"] == history[1], page1
    r = stack.get(f"/api/runs?service=hello&limit=2&before={page1['next']}", key=keys.read)
    page2 = r.json()
    assert page2["runs"][0]["runId"] == history[0], page2
    assert all(x["serviceName"] == "hello" for x in page1["runs"] + page2["runs"])
    # Walking every page ends with next = null and never repeats a run.
    seen, before = [], None
    for _ in range(200):
        q = "/api/runs?limit=3" + (f"&before={before}" if before else "")
        b = stack.get(q, key=keys.read).json()
        seen += [x["runId"] for x in b["runs"]]
        before = b["next"]
        if before is None:
            break
    assert before is None and len(seen) == len(set(seen)), seen
    assert set(history) <= set(seen)


def test_runs_service_filter(stack, keys, history):
    b = stack.get("/api/runs?service=data-processor&limit=100", key=keys.read).json()
    assert history[3] in [x["runId"] for x in b["runs"]], b
    assert all(x["serviceName"] == "data-processor" for x in b["runs"]), b
    b = stack.get("/api/runs?service=no-runs-here", key=keys.read).json()
    assert b["runs"] == [] and b["next"] is None, b


@pytest.mark.parametrize("q", ["limit=0", "limit=101", "limit=abc", "limit=-1", "limit=", "limit=1.5",
                               "limit=99999999999999999999", "before=nope", "before=../../keys",
                               "service=Bad_Name", "service=..%2F"])
def test_runs_bad_query_400(stack, keys, q):
    error_of(stack.get(f"/api/runs?{q}", key=keys.read), 400)


def test_run_unknown_404(stack, keys):
    error_of(stack.get(f"/api/runs/{secrets.token_hex(16)}", key=keys.read), 404, "not_found")
    error_of(stack.get("/api/runs/not-a-run-id", key=keys.read), 404, "not_found")
    error_of(stack.get("/api/runs/" + "A" * 32, key=keys.read), 404, "not_found")


# ---- metrics -------------------------------------------------------------------

SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? '
                    r'[-+]?([0-9.eE+-]+|Inf|NaN)$')


def test_metrics_text_format(stack, keys, history):
    r = stack.get("/api/metrics", key=keys.read)
    assert r.status == 200, r
    assert r.header("Content-Type", "").startswith("text/plain"), r.headers
    assert "version=0.0.4" in r.header("Content-Type"), r.headers
    families = {}
    for line in r.text.splitlines():
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            families[name] = kind
            continue
        if line.startswith("#"):
            continue
        assert SAMPLE.match(line), f"not a Prometheus sample line: {line!r}"
    assert families.get("ignite_http_requests_total") == "counter", families
    assert families.get("ignite_executions_total") == "counter", families
    assert families.get("ignite_execution_duration_seconds") == "histogram", families
    assert families.get("ignite_executions_in_flight") == "gauge", families
    assert families.get("ignite_docker_errors_total") == "counter", families
    assert re.search(r'^ignite_http_requests_total\{route="/api/services/\{name\}/execute",status="200"\} [1-9]',
                     r.text, re.M), r.text
    assert re.search(r'^ignite_executions_total\{service="hello",outcome="success"\} [1-9]', r.text, re.M), r.text
    assert re.search(r'^ignite_execution_duration_seconds_bucket\{le="\+Inf"\} [1-9]', r.text, re.M), r.text
    assert re.search(r"^ignite_execution_duration_seconds_count [1-9]", r.text, re.M), r.text


# ---- unknown routes and methods ----------------------------------------------------

@pytest.mark.parametrize("path", ["/api", "/api/", "/api/nope", "/api/services/hello/nope",
                                  "/api/services/hello/execute/x", "/nope", "/api/runs/x/y",
                                  "/a/b/c/d/e/f/g/h/i/j"])
def test_unknown_route_404(stack, keys, path):
    error_of(stack.get(path, key=keys.admin), 404)


@pytest.mark.parametrize("method,path,allow", [
    ("DELETE", "/api/services/hello", "GET"),
    ("POST", "/api/services", "GET"),
    ("PUT", "/api/health", "GET"),
    ("GET", "/api/services/hello/execute", "POST"),
    ("DELETE", "/api/runs", "GET"),
    ("PATCH", "/api/metrics", "GET"),
    ("PUT", "/login", "GET, POST"),
])
def test_wrong_method_405_with_allow(stack, keys, method, path, allow):
    r = stack.request(method, path, key=keys.admin,
                      body=b"{}" if method in ("POST", "PUT", "PATCH") else None,
                      content_type="application/json" if method in ("POST", "PUT", "PATCH") else None)
    assert r.status == 405, r
    assert r.header("Allow") == allow, r.headers
    error_of(r, 405, "method_not_allowed")
