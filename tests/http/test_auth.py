"""API keys: every way to fail authentication gets the same 401 (body and
header) with comparable timing; scopes give 403; a revoked key stops
working as soon as the daemon is told (SIGHUP); the browser session cookie
does not authenticate the API."""
import base64
import secrets
import statistics

import pytest

from harness import login


def secret():
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def key_id(token):
    return token.split("_")[1]


@pytest.fixture(scope="module")
def reference_401(stack):
    r = stack.get("/api/services")
    assert r.status == 401, r
    return r


def assert_same_401(r, ref):
    assert r.status == 401, r
    assert r.body == ref.body, (r.body, ref.body)
    assert r.json() == {"success": False, "error": {"code": "unauthorized",
                                                    "message": ref.json()["error"]["message"]}}
    assert r.header("WWW-Authenticate") == ref.header("WWW-Authenticate") and r.header("WWW-Authenticate"), r.headers
    assert r.header("Content-Type") == ref.header("Content-Type")
    assert r.header("Retry-After") is None


def variants(keys):
    good = keys.admin
    return {
        "empty header": "",
        "wrong scheme Basic": "Basic " + base64.b64encode(b"admin:" + good.encode()).decode(),
        "wrong scheme Token": "Token " + good,
        "scheme only": "Bearer",
        "scheme and space": "Bearer ",
        "no scheme": good,
        "malformed garbage": "Bearer garbage",
        "malformed prefix": "Bearer ign_",
        "malformed short id": "Bearer ign_abc_" + secret(),
        "malformed non-hex id": "Bearer ign_zzzzzzzzzzzz_" + secret(),
        "malformed short secret": f"Bearer ign_{key_id(good)}_abc",
        "malformed long secret": f"Bearer {good}A",
        "malformed truncated": "Bearer " + good[:-1],
        "malformed bad alphabet": f"Bearer ign_{key_id(good)}_" + "!" * 43,
        "malformed huge": "Bearer " + "A" * 6000,
        "malformed two tokens": f"Bearer {good} {good}",
        "unknown key id": f"Bearer ign_{secrets.token_hex(6)}_{secret()}",
        "wrong secret": f"Bearer ign_{key_id(good)}_{secret()}",
        "uppercase id": f"Bearer ign_{key_id(good).upper()}_{good.split('_', 2)[2]}" if any(
            c.isalpha() for c in key_id(good)) else f"Bearer ign_{key_id(good)}_{secret()}",
    }


def test_missing_header_401(stack, reference_401):
    assert_same_401(stack.get("/api/services"), reference_401)
    assert_same_401(stack.execute("hello"), reference_401)


@pytest.mark.parametrize("name", list(variants(type("K", (), {"admin": "ign_0123456789ab_" + "A" * 43})()).keys()))
def test_every_failure_same_401(stack, keys, reference_401, name):
    value = variants(keys)[name]
    for method, path in (("GET", "/api/services"), ("GET", "/api/runs"), ("POST", "/api/services/hello/execute")):
        r = stack.request(method, path, '{"input": {}}' if method == "POST" else None,
                          headers={"Authorization": value},
                          content_type="application/json" if method == "POST" else None)
        assert_same_401(r, reference_401)


def test_unknown_route_with_bad_key_is_404_not_401(stack):
    r = stack.get("/api/nope", headers={"Authorization": "Bearer garbage"})
    assert r.status == 404, r


def test_health_needs_no_key_even_a_bad_one(stack):
    assert stack.get("/api/health", headers={"Authorization": "Bearer garbage"}).status == 200


def test_comparable_timing_unknown_id_vs_wrong_secret(stack, keys):
    """Whether a key id exists must not show in the time a failure takes."""
    unknown, wrong = [], []
    for _ in range(5):
        unknown.append(stack.get("/api/services", key=f"ign_{secrets.token_hex(6)}_{secret()}").elapsed)
        wrong.append(stack.get("/api/services", key=f"ign_{key_id(keys.admin)}_{secret()}").elapsed)
    u, w = statistics.median(unknown), statistics.median(wrong)
    assert abs(u - w) < 0.06 or 0.5 < u / w < 2.0, f"unknown id {u * 1000:.1f} ms vs wrong secret {w * 1000:.1f} ms"


def test_valid_keys_by_scope(stack, keys):
    for k in (keys.read, keys.execute, keys.admin):
        for path in ("/api/services", "/api/services/hello", "/api/services/hello/preflight",
                     "/api/runs", "/api/metrics"):
            r = stack.get(path, key=k)
            assert r.status == 200, (path, r)


def test_read_only_key_cannot_execute_403(stack, keys):
    r = stack.execute("hello", key=keys.read)
    assert r.status == 403, r
    assert r.json()["error"]["code"] == "forbidden", r.json()


def test_execute_and_admin_keys_execute(stack, keys):
    for k in (keys.execute, keys.admin):
        r = stack.execute("hello", key=k)
        assert r.status == 200 and r.json()["success"] is True, r


def test_revoked_key_401_after_sighup(stack, keys, reference_401):
    token = keys.revoked
    assert stack.get("/api/services", key=token).status == 200     # verified and cached
    keys.revoke("revoked")
    stack.sighup()
    assert_same_401(stack.get("/api/services", key=token), reference_401)
    assert_same_401(stack.execute("hello", key=token), reference_401)
    # The other keys still work after the reload.
    assert stack.get("/api/services", key=keys.read).status == 200
    assert stack.daemon_alive()


def test_session_cookie_does_not_authenticate_the_api(stack, keys, reference_401):
    cookie = login(stack, keys.admin)
    r = stack.get("/api/services", headers={"Cookie": f"ignite_session={cookie}"})
    assert_same_401(r, reference_401)
    r = stack.execute("hello", headers={"Cookie": f"ignite_session={cookie}"})
    assert_same_401(r, reference_401)


def test_key_in_query_string_is_not_accepted(stack, keys, reference_401):
    assert_same_401(stack.get(f"/api/services?key={keys.admin}"), reference_401)
    assert_same_401(stack.get(f"/api/services?access_token={keys.admin}"), reference_401)


def test_keys_never_logged(stack, keys):
    secrets_ = [t.split("_", 2)[2] for t in (keys.admin, keys.read, keys.execute)]
    log = stack.log_text()
    for s in secrets_:
        assert s not in log, "a key's secret appears in the daemon log"
