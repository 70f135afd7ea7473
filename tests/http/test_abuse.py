"""HTTP abuse through nginx (issue 5): key guessing by timing, traversal and
header injection in names, invalid UTF-8 and 100k-deep JSON, a 1 GB
Content-Length claim, request smuggling, slow clients, floods past the rate
limits — and, after all of it, a daemon that is alive with flat memory and
file descriptors.

Two stacks of their own (tests/http/harness.py's make_stack):
- "abuse": limits out of the way (rate and failed-authentication limits at
  1,000,000), so each case measures the thing itself;
- "flood": a per-key rate limit of 30 a minute and the default limit of 10
  failed authentications a minute per address.
Measured numbers are printed (pytest -s shows them) and repeated in the
assertion messages.
"""
import ctypes
import json
import os
import re
import secrets
import socket
import statistics
import struct
import threading
import time
import urllib.parse

import pytest

from harness import http_request, login, raw_request

ABUSE_ARGS = ["--rate-limit", "1000000", "--auth-failure-limit", "1000000",
              "--max-concurrent", "4", "--max-concurrent-per-key", "4"]
FLOOD_RATE = 30
FLOOD_ARGS = ["--rate-limit", str(FLOOD_RATE), "--auth-failure-limit", "10"]


@pytest.fixture(scope="module")
def abuse(make_stack):
    return make_stack("abuse", *ABUSE_ARGS)


@pytest.fixture(scope="module")
def flood(make_stack):
    return make_stack("flood", *FLOOD_ARGS)


def secret():
    return secrets.token_urlsafe(32)[:43]


def report(msg):
    print(f"\n[abuse] {msg}")


def error_shape(r, status, codes=None):
    assert r.status == status, r
    b = r.json()
    assert b["success"] is False and isinstance(b["error"]["message"], str), b
    if codes is not None:
        assert b["error"]["code"] in codes, b
    return b["error"]


def valid_utf8(data):
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


# ---- a canary beside the services directory, watched with inotify ---------------

IN_ACCESS, IN_OPEN = 0x1, 0x20
_libc = ctypes.CDLL(None, use_errno=True)


class Watch:
    """Records every open or read of a few paths."""

    def __init__(self, *paths):
        self.fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        assert self.fd >= 0, ctypes.get_errno()
        self.names = {}
        for p in paths:
            wd = _libc.inotify_add_watch(self.fd, str(p).encode(), IN_ACCESS | IN_OPEN)
            assert wd >= 0, (p, ctypes.get_errno())
            self.names[wd] = str(p)

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
                out.append((self.names.get(wd), name, hex(mask)))
                i += 16 + n

    def close(self):
        os.close(self.fd)


@pytest.fixture(scope="module")
def canary(services_dir):
    """A file next to the services directory that no request may read."""
    token = "IGNITE-ABUSE-CANARY-" + secrets.token_hex(10)
    p = services_dir.parent / "canary"
    p.write_text(token + "\n")
    os.chmod(p, 0o644)
    yield p, token
    p.unlink()


@pytest.fixture
def watch(canary, outside_dir, services_dir):
    w = Watch(canary[0], outside_dir, services_dir.parent / "keys")
    yield w
    w.close()


# ==== key guessing ======================================================================

def test_key_guessing_timing_unknown_id_vs_wrong_secret(abuse, keys):
    """Guessing keys must not tell whether a key id exists: 30 requests with
    a random key id and 30 with the right id of a real key but a wrong
    secret, alternating, on a daemon whose failed-authentication limit is
    out of the way. Both pay an scrypt check (a decoy hash for an unknown
    id); their medians are within a factor of 2 of each other. Every answer
    is the same 401 body."""
    kid = keys.ids["admin"]
    n = 30
    unknown, wrong, bodies = [], [], set()
    for _ in range(3):     # warm-up: connections, caches, page faults
        abuse.get("/api/services", key=f"ign_{secrets.token_hex(6)}_{secret()}")
        abuse.get("/api/services", key=f"ign_{kid}_{secret()}")
    for i in range(2 * n):
        if i % 2 == 0:
            r = abuse.get("/api/services", key=f"ign_{secrets.token_hex(6)}_{secret()}")
            unknown.append(r.elapsed)
        else:
            r = abuse.get("/api/services", key=f"ign_{kid}_{secret()}")
            wrong.append(r.elapsed)
        assert r.status == 401, r
        bodies.add(r.body)
    ok = [abuse.get("/api/services", key=keys.admin).elapsed for _ in range(10)]
    mu, mw, mo = statistics.median(unknown), statistics.median(wrong), statistics.median(ok)
    ratio = mu / mw
    msg = (f"key guessing, N={n} each: unknown id median {mu * 1000:.1f} ms "
           f"(min {min(unknown) * 1000:.1f}, max {max(unknown) * 1000:.1f}); wrong secret median "
           f"{mw * 1000:.1f} ms (min {min(wrong) * 1000:.1f}, max {max(wrong) * 1000:.1f}); "
           f"ratio {ratio:.2f}; a valid (cached) key: median {mo * 1000:.1f} ms")
    report(msg)
    assert len(bodies) == 1, f"401 bodies differ: {bodies}"
    assert 0.5 <= ratio <= 2.0, msg
    # Both really paid for a hash check (scrypt, tens of ms), not a fast reject.
    assert mu > 5 * mo and mw > 5 * mo, msg


# ==== traversal ==========================================================================

TRAVERSAL = ["..", "%2e%2e", "%2E%2E", "%2e%2e%2f", "%2e%2e%2fcanary", "..%2fcanary", "..%2f..%2fcanary",
             "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%00", "hello%00", "%00hello", "..%00", "%2F", "%2f",
             "%2Fetc%2Fpasswd", "..%5c", "..%5ccanary", "%5c..%5ccanary", "%c0%ae%c0%ae",
             "%c0%ae%c0%ae%c0%afcanary", "%e0%80%ae%e0%80%ae", "%c1%9c", "%e2%80%a4%e2%80%a4",
             "%ef%bc%8e%ef%bc%8e", "%ef%bc%8f", "%ef%bc%8e%ef%bc%8e%ef%bc%8fcanary", "%u002e%u002e",
             "..%252f", "%252e%252e", "hell%D0%BE", "%D0%BDello", "h%C3%A9llo", "hello%E2%80%8B",
             "%E2%80%AEolleh", "%ff%fe", "canary", "..;", "hello;..", "~", "hello%20", ".hello"]

TARGETS = [("GET", "/api/services/{}"), ("GET", "/api/services/{}/preflight"),
           ("POST", "/api/services/{}/execute"), ("GET", "/api/runs/{}"), ("GET", "/runs/{}"),
           ("GET", "/services/{}"), ("GET", "/api/runs?service={}"), ("GET", "/api/runs?before={}")]


@pytest.fixture(scope="module")
def cookie(abuse, keys):
    return login(abuse, keys.admin)


@pytest.fixture(scope="module")
def real_run(abuse, keys):
    r = abuse.execute("hello", {"input": {"name": "traversal"}}, key=keys.execute)
    assert r.status == 200, r
    return r.json()["runId"]


@pytest.mark.parametrize("method,pattern", TARGETS)
def test_traversal_in_names_and_ids(abuse, keys, cookie, canary, watch, method, pattern):
    """Every encoding of ".." and "/" (plain, %2e, %2f, %00, backslash,
    overlong UTF-8 %c0%ae, double encoding, fullwidth and one-dot-leader
    homoglyphs, a Cyrillic "hellо"): 400 or 404, never 500, never 200; the
    canary beside the services directory, the outside service and the keys
    file are never opened (inotify) and the canary's text never appears."""
    _path, token = canary
    bad = []
    for name in TRAVERSAL:
        path = pattern.format(name)
        body = '{"input": {}}' if method == "POST" else None
        r = abuse.request(method, path, body, key=keys.admin,
                          headers={"Cookie": f"ignite_session={cookie}"},
                          content_type="application/json" if body else None)
        allowed = (400, 404) if "?" not in path else (200, 400)
        if r.status not in allowed or token.encode() in r.body or b"root:x:0:0" in r.body:
            bad.append((method, path, r.status, r.body[:120]))
        elif "?" in path and r.status == 200 and r.json().get("runs"):
            bad.append((method, path, "listed runs", r.body[:120]))
    assert not bad, bad
    touched = watch.events()
    assert not touched, f"files outside the services directory were opened: {touched}"
    assert abuse.daemon_alive()


def test_traversal_around_a_real_run_id(abuse, keys, real_run, watch):
    """A real run id dressed up (prefix ../, suffix .json, %00, a trailing
    slash, upper case, %2f-joined) is not found; the real one is."""
    assert abuse.get(f"/api/runs/{real_run}", key=keys.read).status == 200
    variants = [f"..%2f{real_run}", f"..%2fruns%2f{real_run}", f"{real_run}.json", f"{real_run}%00",
                f"{real_run}%00.json", f"{real_run}.tmp", real_run.upper(), f"{real_run[:-1]}%2e",
                f"%2e%2e%2f{real_run}", f"{real_run}%2f..%2f..%2fkeys", f"{real_run};", f"{real_run}%20"]
    bad = []
    for v in variants:
        for path in (f"/api/runs/{v}", f"/runs/{v}"):
            r = abuse.get(path, key=keys.read)
            if r.status not in (400, 404):
                bad.append((path, r.status, r.body[:100]))
    assert not bad, bad
    assert not watch.events()


@pytest.mark.parametrize("raw_path", [
    b"/api/services/../../canary", b"/api/services/hello/../../../canary", b"/api/runs/../../canary",
    b"/api/services/..\\..\\canary", b"/runs/..\\..\\canary", b"/api/services/\xc0\xae\xc0\xae/x",
    b"/api/services/\xef\xbc\x8e\xef\xbc\x8e", b"/api/services/hello\x00", b"/api/services/%%32%65%%32%65",
    b"/api/../canary", b"/../canary", b"/static/../canary", b"/static/..%2fcanary", b"/static/%2e%2e/canary",
])
def test_raw_traversal_paths(abuse, keys, canary, watch, raw_path):
    """Request targets nothing well-behaved would send (raw dots above the
    root, backslashes, raw overlong bytes, NUL): never 500, never the
    canary (the static location included)."""
    _p, token = canary
    req = (b"GET " + raw_path + b" HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
           + keys.admin.encode() + b"\r\nConnection: close\r\n\r\n")
    try:
        status, head, body = raw_request(abuse.port, req)
    except AssertionError:
        status, head, body = 0, "(connection closed without an answer)", b""
    assert status == 0 or 400 <= status < 500, (raw_path, status, head)
    assert token.encode() not in body and b"root:x:0:0" not in body, raw_path
    assert not watch.events()
    assert abuse.daemon_alive()


# ==== header injection =====================================================================

INJECT = ["hello%0d%0aX-Injected:%20yes", "hello%0aX-Injected:%20yes", "hello%0dX-Injected:%20yes",
          "%0d%0aSet-Cookie:%20injected=1", "hello%0d%0a%0d%0a<html>injected", "hello%250d%250aX-Injected:%20yes",
          "hello%E5%98%8A%E5%98%8DX-Injected:%20yes", "hello%c4%8d%c4%8aX-Injected:%20yes"]


def head_lines(head):
    return [l for l in head.split("\r\n")[1:] if l]


def assert_not_injected(status, head, what):
    assert status < 500, (what, status, head)
    for line in head_lines(head):
        name = line.split(":", 1)[0].strip().lower()
        assert name != "x-injected", (what, head)
        assert not (name == "set-cookie" and "injected" in line), (what, head)
        assert "<html>injected" not in line, (what, head)


@pytest.mark.parametrize("name", INJECT)
def test_header_injection_in_names(abuse, keys, cookie, name):
    """CR/LF (encoded, double encoded, and as UTF-8 characters whose low
    bytes are CR and LF) in service names, run ids, the service query and
    the page paths never become a header of the answer."""
    for method, path in (("GET", f"/api/services/{name}"), ("POST", f"/api/services/{name}/execute"),
                         ("GET", f"/api/runs/{name}"), ("GET", f"/api/runs?service={name}"),
                         ("GET", f"/runs/{name}"), ("GET", f"/services/{name}"),
                         ("POST", f"/services/{name}/run"), ("GET", f"/login?next={name}")):
        body = b'{"input": {}}' if method == "POST" else b""
        req = (f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {keys.admin}\r\n"
               f"Cookie: ignite_session={cookie}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
        status, head, _body = raw_request(abuse.port, req)
        assert_not_injected(status, head, path)


def raw_answer(port, data, timeout=10):
    """Sends raw bytes, reads until the server closes, returns the bytes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                c = s.recv(65536)
            except socket.timeout:
                break
            if not c:
                break
            chunks.append(c)
    return b"".join(chunks)


@pytest.mark.parametrize("line", [b"GET /api/services/hello\r\nX-Injected: yes HTTP/1.1\r\n",
                                  b"GET /api/services/hello\rX-Injected: yes HTTP/1.1\r\n",
                                  b"GET /api/services/hello\nX-Injected: yes HTTP/1.1\r\n",
                                  b"GET /api/services/hello%0d%0aX-Injected:%20yes\r\n"])
def test_raw_crlf_in_the_request_line(abuse, keys, line):
    """Raw CR/LF bytes inside the request target: nginx refuses the request
    (400) or takes the line for a head-less HTTP/0.9 request and answers a
    bare body — either way no injected header comes back."""
    req = line + b"Host: localhost\r\nAuthorization: Bearer " + keys.admin.encode() + b"\r\nConnection: close\r\n\r\n"
    answer = raw_answer(abuse.port, req)
    if answer.startswith(b"HTTP/1."):
        head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        status = int(head.split(" ", 2)[1])
        assert_not_injected(status, head, line)
    else:      # HTTP/0.9: a body only, no head to inject into
        assert not re.search(rb"(?im)^x-injected:", answer), answer[:300]
        assert b'"success"' in answer or answer == b"", answer[:300]
    assert abuse.daemon_alive()


def test_client_request_id_is_not_reflected_raw(abuse):
    """A client-sent X-Request-Id (or a forwarded address) is never echoed
    into the answer's headers as given."""
    req = (b"GET /api/health HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: injected-id%0d%0aX-Injected: 1\r\n"
           b"X-Forwarded-For: 203.0.113.9\r\nConnection: close\r\n\r\n")
    status, head, _ = raw_request(abuse.port, req)
    assert status == 200, head
    assert_not_injected(status, head, "X-Request-Id")
    assert "injected-id" not in head and "203.0.113.9" not in head, head


# ==== bodies ==================================================================================

def post(stack, keys, body, ctype="application/json", service="hello"):
    return stack.request("POST", f"/api/services/{service}/execute", body, key=keys.execute,
                         content_type=ctype)



@pytest.mark.parametrize("body", [
    pytest.param(b'{"input": "\xff\xfe"}', id="ff-fe"),
    pytest.param(b'{"input": "\xe2\x82"}', id="truncated-3-byte"),
    pytest.param(b'{"in\xffput": {}}', id="in-a-key"),
    pytest.param(b'{"input": {"k\x80": 1}}', id="lone-continuation"),
    pytest.param(b'\xef\xbb\xbf{"input": {}}', id="bom"),
    pytest.param(b'{"input": "\xc0\xae"}', id="overlong-dot"),
    pytest.param(b'{"input": "\xe0\x80\xaf"}', id="overlong-slash"),
    pytest.param(b'{"input": "\xed\xa0\x80"}', id="surrogate"),
    pytest.param(b'{"input": "\xf4\x90\x80\x80"}', id="above-10ffff"),
])
def test_invalid_utf8_body_400(abuse, keys, body):
    """A JSON body that is not valid UTF-8 is 400 invalid_json, and whatever
    the answer, it is itself valid UTF-8."""
    r = post(abuse, keys, body)
    assert valid_utf8(r.body), f"the answer is not valid UTF-8: {r.body[:200]!r}"
    error_shape(r, 400, ("invalid_json", "invalid_request"))


def _inputs():
    return [pytest.param(v, id=json.dumps(v)) for v in [None, 0, 5, -1.5, True, False, "text", [], {}]]


@pytest.mark.parametrize("value", _inputs())
def test_any_json_value_is_an_input(abuse, keys, value):
    """DESIGN §5: "input": <any JSON>. A scalar input (null, a number, a
    boolean) reaches the service like a string, an array or an object."""
    r = abuse.execute("hello", {"input": value}, key=keys.execute)
    b = r.json()
    assert r.status == 200 and b["success"] is True, (r.status, b.get("status"), b.get("error"))


@pytest.mark.parametrize("shape", ["array", "object", "mixed", "in-input"])
def test_100k_deep_json_400_quickly(abuse, keys, shape):
    """100,000 levels of nesting: 400 within a second or two (no recursion,
    no crash), and the daemon keeps answering."""
    n = 100_000
    body = {"array": "[" * n + "]" * n,
            "object": '{"a":' * n + "1" + "}" * n,
            "mixed": '{"a":[' * (n // 2) + "1" + "]}" * (n // 2),
            "in-input": '{"input":' + "[" * n + "]" * n + "}"}[shape]
    t0 = time.monotonic()
    r = post(abuse, keys, body)
    took = time.monotonic() - t0
    error_shape(r, 400, ("invalid_json", "invalid_request"))
    assert took < 2.0, f"{took:.2f}s"
    assert abuse.daemon_alive() and abuse.get("/api/health").status == 200


def raw_exchange(port, data, wait=5.0):
    """Sends data, keeps the connection open, returns (seconds to the first
    byte of the answer, the answer) — or (None, b"") when nothing came."""
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    try:
        t0 = time.monotonic()
        s.sendall(data)
        chunks, first = [], None
        s.settimeout(wait)
        while True:
            try:
                c = s.recv(65536)
            except socket.timeout:
                break
            if not c:
                break
            if first is None:
                first = time.monotonic() - t0
            chunks.append(c)
            if b"\r\n\r\n" in b"".join(chunks) and b"Content-Length" not in b"".join(chunks):
                break
        return first, b"".join(chunks)
    finally:
        s.close()


@pytest.mark.parametrize("path,expect", [("/api/services/hello/execute", None),
                                         ("/api/services", None), ("/login", None)])
def test_gigabyte_content_length_claim_413_quickly(abuse, keys, path, expect):
    """Content-Length: 1 GB with a two-byte body, the connection left open:
    413 at once (nginx checks the claim against client_max_body_size before
    reading), with the JSON error body — no hang waiting for the rest."""
    req = (f"POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {keys.execute}\r\n"
           f"Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n{{}}").encode()
    first, answer = raw_exchange(abuse.port, req)
    assert first is not None, "no answer within 5 s: the claim made the server wait"
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert first < 1.0, f"413 took {first:.2f}s"
    assert b'"payload_too_large"' in answer, answer[:400]
    report(f"1 GB Content-Length claim on {path}: 413 after {first * 1000:.1f} ms")


def test_gigabyte_claim_with_expect_continue(abuse, keys):
    """The same claim with Expect: 100-continue gets 413, not a 100."""
    req = (f"POST /api/services/hello/execute HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
           f"{keys.execute}\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n"
           f"Expect: 100-continue\r\n\r\n").encode()
    first, answer = raw_exchange(abuse.port, req)
    assert first is not None and first < 1.0 and answer.startswith(b"HTTP/1.1 413"), (first, answer[:200])


@pytest.mark.parametrize("headers", [
    "Content-Length: -1\r\n", "Content-Length: abc\r\n", "Content-Length: 5\r\nContent-Length: 50\r\n",
    "Content-Length: 99999999999999999999999\r\n", "Content-Length: 0x10\r\n",
])
def test_malformed_content_length(abuse, keys, headers):
    """Malformed or conflicting Content-Length: a 4xx, never 500."""
    req = (f"POST /api/services/hello/execute HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
           f"{keys.execute}\r\nContent-Type: application/json\r\n{headers}Connection: close\r\n\r\n"
           f'{{"input": {{}}}}').encode()
    status, head, _ = raw_request(abuse.port, req, timeout=10)
    assert 400 <= status < 500, (headers, head)


def test_request_smuggling_cl_te(abuse, keys):
    """Content-Length and Transfer-Encoding: chunked together, with a second
    request hidden in the body: one answer only (the hidden request is never
    served as a request of its own), never 500."""
    hidden = (f"GET /api/services HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {keys.admin}\r\n"
              f"X-Smuggled: 1\r\n\r\n")
    body = f"0\r\n\r\n{hidden}"
    req = (f"POST /api/services/hello/execute HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
           f"{keys.execute}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
           f"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{body}").encode()
    status, head, rest = raw_request(abuse.port, req, timeout=15)
    assert status < 500, head
    assert rest.count(b"HTTP/1.") == 0, f"a second response followed: {rest[:300]!r}"
    assert b'"services"' not in rest, "the smuggled GET /api/services was answered"


# ==== slow clients ===========================================================================

class Trickler(threading.Thread):
    """Sends a request head, then its body (or its head) one byte a second."""

    def __init__(self, port, head, body, per_byte=1.0, duration=6.0, read_answer=False):
        super().__init__(daemon=True)
        self.port, self.head, self.body = port, head, body
        self.per_byte, self.duration, self.read_answer = per_byte, duration, read_answer
        self.answer = b""
        self.sent = 0
        self.error = None

    def run(self):
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            try:
                s.sendall(self.head)
                end = time.monotonic() + self.duration
                for i in range(len(self.body)):
                    if time.monotonic() > end:
                        break
                    s.sendall(self.body[i:i + 1])
                    self.sent += 1
                    time.sleep(self.per_byte)
                if self.read_answer:
                    s.settimeout(30)
                    while True:
                        c = s.recv(65536)
                        if not c:
                            break
                        self.answer += c
            finally:
                s.close()
        except OSError as e:
            self.error = e


def test_slow_clients_do_not_hold_the_daemon(abuse, keys):
    """12 clients trickle an execute body at 1 byte/s and 4 trickle their
    request head, for 6 s each, then give up — more slow clients than the
    daemon has workers (4). nginx buffers them: meanwhile health, reads and
    executions are answered promptly, the daemon never sees the slow
    requests (its log has none of them), and one slow client that finishes
    its (short) body gets a normal answer."""
    token = secrets.token_hex(6)
    body = b'{"input": {"name": "' + b"s" * 40 + b'"}}'
    head = (f"POST /api/services/slow-{token}/execute HTTP/1.1\r\nHost: localhost\r\n"
            f"Authorization: Bearer {keys.execute}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    slowloris = f"GET /api/services/slowloris-{token} HTTP/1.1\r\nHost: localhost\r\n".encode()
    slow = [Trickler(abuse.port, head, body) for _ in range(12)]
    slow += [Trickler(abuse.port, b"", slowloris + b"X-Slow: " + b"a" * 40) for _ in range(4)]
    small = b'{"input": {}}'
    finisher = Trickler(abuse.port, (f"POST /api/services/hello/execute HTTP/1.1\r\n"
                                     f"Host: localhost\r\nAuthorization: Bearer {keys.execute}\r\n"
                                     f"Content-Type: application/json\r\nContent-Length: {len(small)}\r\n"
                                     f"Connection: close\r\n\r\n").encode(),
                        small, per_byte=0.3, duration=10, read_answer=True)
    for t in slow + [finisher]:
        t.start()
    time.sleep(0.5)
    lat = {"health": [], "services": [], "execute": []}
    t_end = time.monotonic() + 5.5

    def probe():
        while time.monotonic() < t_end:
            for what, path, key in (("health", "/api/health", None), ("services", "/api/services", keys.read)):
                r = abuse.get(path, key=key)
                assert r.status == 200, (what, r)
                lat[what].append(r.elapsed)
            time.sleep(0.1)

    prober = threading.Thread(target=probe)
    prober.start()
    while time.monotonic() < t_end:
        r = abuse.execute("hello", {"input": {"name": "fast"}}, key=keys.execute)
        assert r.status == 200, r
        lat["execute"].append(r.elapsed)
    prober.join(30)
    for t in slow + [finisher]:
        t.join(40)
    msg = "; ".join(f"{k}: n={len(v)} median {statistics.median(v) * 1000:.0f} ms max {max(v) * 1000:.0f} ms"
                    for k, v in lat.items())
    report(f"during 16 slow clients (6 s each): {msg}; bytes sent per body trickler: {[t.sent for t in slow[:12]]}")
    # Were the 4 workers held by slow bodies, these would wait for seconds.
    assert len(lat["health"]) >= 5 and max(lat["health"]) < 2.5 and max(lat["services"]) < 2.5, msg
    assert lat["execute"] and max(lat["execute"]) < 20.0, msg
    assert finisher.answer.startswith(b"HTTP/1.1 200"), finisher.answer[:300]
    log = abuse.log_text()
    assert f"slow-{token}" not in log and f"slowloris-{token}" not in log, \
        "an unfinished slow request reached the daemon (nginx did not buffer it)"
    assert abuse.daemon_alive()


# ==== floods ===================================================================================

def burst(n, fn, threads=8, rate=None):
    """Calls fn() n times from `threads` threads, at most `rate` calls a
    second when given; returns the results."""
    out, lock, idx = [], threading.Lock(), iter(range(n))
    t0 = time.monotonic()

    def work():
        while True:
            with lock:
                i = next(idx, None)
            if i is None:
                return
            if rate:
                delay = t0 + i / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            r = fn()
            with lock:
                out.append(r)

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(300)
    return out


def assert_429(r, codes):
    assert r.status == 429, r
    ra = r.header("Retry-After")
    assert ra is not None and ra.isdigit() and 1 <= int(ra) <= 120, r.headers
    b = r.json()
    assert b["success"] is False and b["error"]["code"] in codes, b


def test_flood_past_the_per_key_rate_limit(flood, keys):
    """200 requests with one key at once (8 threads), against a limit of 30
    a minute: about 30 pass, every other one is 429 rate_limited with
    Retry-After; meanwhile another key and the health check are answered
    promptly, and the daemon is alive."""
    k = keys.spare1
    side = {}

    def other():
        time.sleep(0.2)
        side["other"] = flood.get("/api/services", key=keys.spare2)
        side["health"] = flood.get("/api/health")

    t = threading.Thread(target=other)
    t.start()
    t0 = time.monotonic()
    res = burst(200, lambda: flood.get("/api/services", key=k))
    took = time.monotonic() - t0
    t.join(30)
    ok = [r for r in res if r.status == 200]
    limited = [r for r in res if r.status == 429]
    report(f"per-key flood: 200 requests in {took:.2f}s: {len(ok)} x 200, {len(limited)} x 429; "
           f"429 Retry-After {sorted({r.header('Retry-After') for r in limited})}")
    assert len(ok) + len(limited) == 200, sorted({r.status for r in res})
    assert FLOOD_RATE - 1 <= len(ok) <= FLOOD_RATE + 2, len(ok)
    for r in limited:
        assert_429(r, ("rate_limited",))
    assert side["other"].status == 200 and side["other"].elapsed < 1.0, side["other"]
    assert side["health"].status == 200 and side["health"].elapsed < 1.0, side["health"]
    assert flood.daemon_alive()


def test_flood_past_nginx_per_address_limit(flood):
    """Thousands of requests a second from one address: nginx's own limit
    (200 r/s, burst 400) answers 429 with Retry-After and the JSON error
    body; once the flood stops, requests pass again."""
    stop = time.monotonic() + 3.0
    res = burst(6000, lambda: http_request(flood.port, "GET", "/api/nope", timeout=30)
                if time.monotonic() < stop else None, threads=16)
    res = [r for r in res if r is not None]
    limited = [r for r in res if r.status == 429]
    report(f"per-address flood: {len(res)} requests in 3 s, {len(limited)} x 429 from nginx")
    assert limited, f"no 429 in {len(res)} requests: {sorted({r.status for r in res})}"
    assert all(r.status in (404, 429) for r in res), sorted({r.status for r in res})
    for r in limited[:50]:
        assert_429(r, ("rate_limited",))
    time.sleep(2.5)
    r = flood.get("/api/health")
    assert r.status == 200, r
    assert flood.daemon_alive()


def test_flood_of_wrong_keys_is_cut_off_cheaply(flood, keys):
    """60 wrong keys from one address against the default limit of 10
    failures a minute: the first 10 are 401 (each pays an scrypt check),
    the rest 429 too_many_failures with Retry-After, answered without
    scrypt (fast); the daemon stays responsive."""
    res = [flood.get("/api/services", key=f"ign_{secrets.token_hex(6)}_{secret()}") for _ in range(60)]
    s401 = [r for r in res if r.status == 401]
    s429 = [r for r in res if r.status == 429]
    med401 = statistics.median(r.elapsed for r in s401) if s401 else 0
    med429 = statistics.median(r.elapsed for r in s429) if s429 else 0
    report(f"wrong-key flood: {len(s401)} x 401 (median {med401 * 1000:.1f} ms), "
           f"{len(s429)} x 429 (median {med429 * 1000:.1f} ms)")
    assert len(s401) <= 10 and len(s401) + len(s429) == 60, sorted({r.status for r in res})
    for r in s429:
        assert_429(r, ("too_many_failures", "rate_limited"))
    assert med429 < 0.05 and med429 < med401 / 3, (med401, med429)
    assert flood.get("/api/health").status == 200
    assert flood.daemon_alive()


# ==== after all of it: alive, flat memory and descriptors ============================================

def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def abusive_requests(stack, keys):
    """One of each kind of hostile request that reaches the daemon."""
    n = 100_000
    deep = "[" * n + "]" * n
    hdr = {"Authorization": f"Bearer {keys.execute}"}
    return [
        lambda: stack.get("/api/services", key=keys.read),
        lambda: stack.get("/api/services/%2e%2e%2fcanary", key=keys.read),
        lambda: stack.get("/api/services/hello%0d%0aX-Injected:%20yes", key=keys.read),
        lambda: stack.get("/api/runs/" + secrets.token_hex(16), key=keys.read),
        lambda: stack.get("/runs/" + secrets.token_hex(16)),
        lambda: stack.get("/api/runs?limit=abc&before=..%2f", key=keys.read),
        lambda: stack.get("/api/nope"),
        lambda: stack.request("POST", "/api/services/hello/execute", b'{"input": "\xff"}', headers=hdr,
                              content_type="application/json"),
        lambda: stack.request("POST", "/api/services/hello/execute", b'{"input": ', headers=hdr,
                              content_type="application/json"),
        lambda: stack.request("POST", "/api/services/hello/execute", deep, headers=hdr,
                              content_type="application/json"),
        lambda: stack.request("POST", "/api/services/hello/execute", b'{"input": {}, "x": 1}', headers=hdr,
                              content_type="application/json"),
        lambda: stack.request("POST", "/api/services/hello/execute", b'{}', headers=hdr,
                              content_type="text/plain"),
        lambda: stack.request("POST", "/api/services/nope/execute", b'{}', headers=hdr,
                              content_type="application/json"),
        lambda: stack.request("DELETE", "/api/services/hello", headers=hdr),
        lambda: stack.get("/api/services", headers={"Authorization": "Bearer " + "A" * 4000}),
    ]


PACE = 170


def test_after_the_abuse_daemon_alive_memory_and_fds_flat(abuse, keys):
    """After every test above, the abuse daemon is alive; a burst of 2,000
    hostile requests (4 threads; bad JSON, deep JSON, invalid UTF-8,
    traversal, injection, unknown routes and runs, wrong types, malformed
    keys) after a warm-up grows its RSS by less than 4 MB and leaves its
    open descriptors where they were. No answer is a 500."""
    pid = abuse.daemon.pid
    assert abuse.daemon_alive()
    reqs = abusive_requests(abuse, keys)
    counter = iter(range(10 ** 9))
    lock = threading.Lock()

    def one():
        with lock:
            i = next(counter)
        return reqs[i % len(reqs)]()

    # Paced under nginx's per-address limit (200 r/s), so every request
    # reaches the daemon.
    warm = burst(600, one, threads=4, rate=PACE)
    assert all(r.status < 500 for r in warm), sorted({r.status for r in warm})
    time.sleep(1)
    rss0, fd0 = rss_kb(pid), fd_count(pid)
    t0 = time.monotonic()
    res = burst(2000, one, threads=4, rate=PACE)
    took = time.monotonic() - t0
    statuses = {}
    for r in res:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    deadline = time.monotonic() + 5
    while fd_count(pid) != fd0 and time.monotonic() < deadline:
        time.sleep(0.2)
    rss1, fd1 = rss_kb(pid), fd_count(pid)
    msg = (f"2000 hostile requests in {took:.1f}s ({2000 / took:.0f}/s), statuses {statuses}: "
           f"RSS {rss0} -> {rss1} KB ({rss1 - rss0:+d} KB), fds {fd0} -> {fd1}")
    report(msg)
    assert len(res) == 2000 and not any(s >= 500 for s in statuses), msg
    assert statuses.get(429, 0) == 0, f"requests were turned away before the daemon: {msg}"
    assert abuse.daemon_alive(), msg
    assert rss1 - rss0 < 4096, msg
    assert fd1 <= fd0, msg
    assert abuse.get("/api/health").status == 200
