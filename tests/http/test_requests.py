"""What a client may send: request bodies (malformed, deep, huge, missing,
oversized, wrong type) and hostile paths. Nothing may crash the daemon or
answer 500; paths that try to leave the services directory never reach the
file system (checked with inotify on the sentinel outside it)."""
import ctypes
import http.client
import os
import struct
import urllib.parse

import pytest

from harness import login, raw_request

OK_BODY = '{"input": {"name": "body"}}'


def error_code(r, status):
    assert r.status == status, r
    b = r.json()
    assert b["success"] is False and isinstance(b["error"]["message"], str), b
    return b["error"]


def post_body(stack, keys, body, ctype="application/json", service="hello"):
    return stack.request("POST", f"/api/services/{service}/execute", body, key=keys.execute,
                         content_type=ctype)


# ---- JSON bodies ---------------------------------------------------------------

@pytest.mark.parametrize("body", ["", "{", '{"input": }', "{} x", "{'input': 1}", '{"input": 1,,}',
                                  "nul", '{"input": "unterminated}', "\x00", '{"input": 01}',
                                  '{"a":1}{"b":2}'])
def test_invalid_json_400(stack, keys, body):
    err = error_code(post_body(stack, keys, body), 400)
    assert err["code"] in ("invalid_json", "invalid_request"), err


def test_invalid_utf8_body_never_500(stack, keys):
    r = post_body(stack, keys, b'{"input": "\xff\xfe"}')
    assert r.status in (200, 400), r


@pytest.mark.parametrize("body", ["[]", '"x"', "1", "null", "true", '[{"input": 1}]'])
def test_body_not_object_400(stack, keys, body):
    err = error_code(post_body(stack, keys, body), 400)
    assert "object" in err["message"], err


@pytest.mark.parametrize("body,field", [
    ({"input": {}, "audit": "yes"}, "audit"),
    ({"input": {}, "audit": 1}, "audit"),
    ({"input": {}, "audit": None}, "audit"),
    ({"input": {}, "skipPreflight": "false"}, "skipPreflight"),
    ({"input": {}, "skipPreflight": 0}, "skipPreflight"),
    ({"input": {}, "stdin": 5}, "stdin"),
    ({"input": {}, "limits": []}, "limits"),
    ({"input": {}, "limits": {"memoryMb": "64"}}, "limits.memoryMb"),
    ({"input": {}, "limits": {"memoryMb": -1}}, "limits.memoryMb"),
    ({"input": {}, "limits": {"timeoutMs": 0}}, "limits.timeoutMs"),
    ({"input": {}, "limits": {"cpuLimit": "1"}}, "limits.cpuLimit"),
    ({"input": {}, "limits": {"memoryMB": 64}}, "memoryMB"),
])
def test_wrong_field_type_400_names_field(stack, keys, body, field):
    err = error_code(stack.execute("hello", body, key=keys.execute), 400)
    assert field in err["message"], err


@pytest.mark.parametrize("field", ["inptu", "Input", "", "x" * 200])
def test_unknown_field_400_names_field(stack, keys, field):
    err = error_code(stack.execute("hello", {"input": {}, field: 1}, key=keys.execute), 400)
    assert "unknown" in err["message"] and field[:60] in err["message"], err


@pytest.mark.parametrize("shape", ["array", "object", "input"])
def test_deep_json_100k_400_not_crash(stack, keys, shape):
    n = 100_000
    body = {
        "array": "[" * n + "]" * n,
        "object": '{"a":' * n + "1" + "}" * n,
        "input": '{"input":' + "[" * n + "]" * n + "}",
    }[shape]
    err = error_code(post_body(stack, keys, body), 400)
    assert err["code"] in ("invalid_json", "invalid_request"), err
    assert stack.daemon_alive()
    assert stack.get("/api/health").status == 200


def test_moderately_nested_input_accepted(stack, keys):
    body = '{"input":' + "[" * 30 + "]" * 30 + "}"
    r = post_body(stack, keys, body)
    assert r.status == 200 and r.json()["success"] is True, r


def test_huge_json_under_the_limit(stack, keys):
    """~900 KB of input (under the 1 MiB body and input limits) is
    delivered whole: the greeting repeats it."""
    name = "n" * 900_000
    r = stack.execute("hello", {"input": {"name": name}}, key=keys.execute, timeout=120)
    assert r.status == 200, r
    b = r.json()
    assert b["success"] is True, {k: b.get(k) for k in ("status", "error")}
    assert name in b["metrics"]["stdout"], len(b["metrics"]["stdout"])
    assert stack.daemon_alive()


def test_many_small_values(stack, keys):
    r = stack.execute("hello", {"input": list(range(100_000))}, key=keys.execute, timeout=120)
    assert r.status == 200 and r.json()["success"] is True, r


# ---- body presence, size, type -----------------------------------------------------

def test_no_body_411(stack, keys):
    """A POST without Content-Length (http.client would add one, so the
    request is written by hand)."""
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
    try:
        conn.putrequest("POST", "/api/services/hello/execute")
        conn.putheader("Authorization", f"Bearer {keys.execute}")
        conn.putheader("Content-Type", "application/json")
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    assert resp.status == 411, (resp.status, body)
    assert b'"length_required"' in body, body


def test_chunked_body_never_500(stack, keys):
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=60)
    try:
        conn.request("POST", "/api/services/hello/execute", body=iter([b'{"input":', b' {"name": "chunk"}}']),
                     headers={"Authorization": f"Bearer {keys.execute}",
                              "Content-Type": "application/json"}, encode_chunked=True)
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    assert resp.status in (200, 411), (resp.status, body)


def test_empty_body_with_length_0_is_400(stack, keys):
    err = error_code(post_body(stack, keys, b""), 400)
    assert err["code"] in ("invalid_json", "invalid_request"), err


def test_over_1mib_413(stack, keys):
    """Over the 1 MiB default: nginx's client_max_body_size or the daemon
    answers; either way 413 in the error shape."""
    body = '{"input": "' + "x" * (1024 * 1024) + '"}'
    r = post_body(stack, keys, body)
    error_code(r, 413)


def test_stdin_over_512kib_413(stack, keys):
    """stdin is bounded apart from the body: refused before anything runs,
    no run recorded."""
    before = stack.get("/api/runs?limit=1", key=keys.read).json()["runs"]
    r = post_body(stack, keys, '{"stdin": "' + "s" * (512 * 1024 + 1) + '"}')
    err = error_code(r, 413)
    assert err["code"] == "payload_too_large" and "stdin" in err["message"], err
    assert stack.get("/api/runs?limit=1", key=keys.read).json()["runs"] == before
    r = post_body(stack, keys, '{"stdin": "' + "s" * (512 * 1024) + '"}')
    assert r.status == 200 and r.json()["success"] is True, r


def test_claimed_huge_length_413(stack, keys):
    status, head, body = raw_request(stack.port, (
        "POST /api/services/hello/execute HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {keys.execute}\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000000000000\r\nConnection: close\r\n\r\n{").encode())
    assert status == 413, head


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "application/jsonx",
                                   "application/json-seq", "multipart/form-data; boundary=x",
                                   "text/json", "", None])
def test_wrong_content_type_415(stack, keys, ctype):
    headers = {"Authorization": f"Bearer {keys.execute}"}
    if ctype is not None:
        headers["Content-Type"] = ctype
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
    try:
        conn.request("POST", "/api/services/hello/execute", body=OK_BODY.encode(), headers=headers)
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    assert resp.status == 415, (resp.status, body)
    assert b'"unsupported_media_type"' in body, body


@pytest.mark.parametrize("ctype", ["application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"])
def test_json_content_type_variants_accepted(stack, keys, ctype):
    r = post_body(stack, keys, OK_BODY, ctype=ctype)
    assert r.status == 200 and r.json()["success"] is True, r


# ---- hostile paths -------------------------------------------------------------------

IN_ACCESS, IN_OPEN, IN_CLOSE_NOWRITE = 0x1, 0x20, 0x10
_libc = ctypes.CDLL(None, use_errno=True)


class Inotify:
    """Records opens and reads under a few paths (the daemon must cause none)."""

    def __init__(self):
        self.fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        assert self.fd >= 0, ctypes.get_errno()
        self.paths = {}

    def watch(self, path):
        wd = _libc.inotify_add_watch(self.fd, str(path).encode(), IN_ACCESS | IN_OPEN | IN_CLOSE_NOWRITE)
        assert wd >= 0, (path, ctypes.get_errno())
        self.paths[wd] = str(path)

    def events(self):
        out = []
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return out
            i = 0
            while i < len(data):
                wd, mask, _cookie, n = struct.unpack_from("iIII", data, i)
                name = data[i + 16:i + 16 + n].rstrip(b"\0").decode(errors="replace")
                out.append((self.paths.get(wd), name, mask))
                i += 16 + n

    def close(self):
        os.close(self.fd)


NAMES = ["..", "%2e%2e", "%2E%2E", ".", "%2e", "..%2Foutside", "%2e%2e%2foutside", "%2e%2e%2Foutside",
         "..%2F..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "hello%00", "%00", "hello%00.yaml",
         "hello%2F..%2F..%2Foutside", "..%5Coutside", "%5C..%5Coutside", "%c0%ae%c0%ae", "%c0%af",
         "%252e%252e", "h%C3%A9llo", "%E2%80%AEhello", "%EF%BC%8E%EF%BC%8E", "hello%0a", "hello%0d%0aX:%20y",
         "hello%20", "~root", "outside", "..%00", "%ff", "%", "%zz", "hello;x", "a" * 300]

TARGETS = [("GET", "/api/services/{}"), ("GET", "/api/services/{}/preflight"),
           ("POST", "/api/services/{}/execute"), ("GET", "/api/runs/{}"), ("GET", "/api/runs?service={}"),
           ("GET", "/api/runs?before={}"), ("GET", "/services/{}"), ("POST", "/services/{}/run"),
           ("GET", "/runs/{}")]


@pytest.fixture(scope="module")
def session_cookie(stack, keys):
    return login(stack, keys.admin)


@pytest.fixture
def fs_watch(workdir, outside_dir):
    w = Inotify()
    w.watch(outside_dir)
    w.watch(workdir)
    yield w
    w.close()


def outside_touched(watch):
    return [e for e in watch.events() if e[0] and (e[0].endswith("/outside") or e[1] in ("outside", "keys"))]


@pytest.mark.parametrize("method,pattern", TARGETS)
def test_traversal_names(stack, keys, session_cookie, fs_watch, method, pattern):
    bad = []
    for name in NAMES:
        path = pattern.format(name)
        headers = {"Cookie": f"ignite_session={session_cookie}"}
        body = None
        if method == "POST":
            body = OK_BODY if path.startswith("/api/") else urllib.parse.urlencode({"input": "{}", "csrf": "x"})
            headers["Content-Type"] = ("application/json" if path.startswith("/api/")
                                       else "application/x-www-form-urlencoded")
        r = stack.request(method, path, body, key=keys.admin, headers=headers)
        if r.status >= 500 or r.status == 200 and ("outside" in r.text or "passwd" in r.text):
            bad.append((method, path, r.status, r.body[:200]))
        elif r.status == 200 and "/runs/" not in path and "?" not in path:
            bad.append((method, path, r.status, r.body[:200]))
    assert not bad, bad
    touched = outside_touched(fs_watch)
    assert not touched, f"requests reached files outside the services directory: {touched}"
    assert stack.daemon_alive()


@pytest.mark.parametrize("raw_path", [
    b"/api/services/../outside", b"/api/services/../outside/preflight", b"/api/services/hello/../../outside",
    b"/api/services/h\xc3\xa9llo", b"/api/services/\xff\xfe", b"/api/services/hello\x7f",
    b"/api/services/../../../../etc/passwd", b"/api/runs/../../keys", b"/api/runs/..%2F..%2Fkeys",
    b"/api/./services/./hello/../outside", b"//api//services//hello", b"/api/services/hello/",
    b"/api/services/hello//", b"/api/services/" + b"a/" * 50, b"/api/services/" + b"x" * 5000,
])
def test_raw_paths_never_500(stack, keys, fs_watch, raw_path):
    req = (b"GET " + raw_path + b" HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
           + keys.admin.encode() + b"\r\nConnection: close\r\n\r\n")
    status, head, body = raw_request(stack.port, req)
    assert status < 500, (status, head, body[:300])
    if status == 200:
        assert b"outside" not in body and b"root:" not in body, body[:300]
    assert not outside_touched(fs_watch)
    assert stack.daemon_alive()


def test_trailing_slash_tolerated(stack, keys):
    r = stack.get("/api/services/hello/", key=keys.read)
    assert r.status in (200, 404), r


def test_uri_too_long(stack, keys):
    r = stack.get("/api/services/hello?x=" + "a" * 5000, key=keys.read)
    assert r.status in (400, 414), r


@pytest.mark.parametrize("query", ["stream=" + "1" * 2000, "&&&&", "=", "a=%zz", "a=%00", "%00=1",
                                   "&".join(f"k{i}=v" for i in range(40)), "service=hello&service=x"])
def test_odd_queries_never_500(stack, keys, query):
    r = stack.get("/api/runs?" + query, key=keys.read)
    assert r.status < 500, r
