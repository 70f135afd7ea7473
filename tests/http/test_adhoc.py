"""Code sent in the request (POST /api/execute), async runs with signed
callbacks, idempotency keys, cancellation and batches — through nginx, against
the real Docker engine (harness.py starts everything).

The stacks here run with their own ad-hoc work directory (so the test can see
that every run's files are deleted) and allow callbacks to loopback
explicitly (`--callback-allow 127.0.0.0/8`): the default denies it, which one
test checks on a stack without the flag.
"""
import base64
import hashlib
import hmac
import html
import http.server
import json
import re
import threading
import time
import urllib.parse

import pytest

RUN_ID = re.compile(r"[0-9a-f]{32}")
FINAL = {"success", "failed", "timeout", "oom", "error", "blocked", "cancelled"}

COMMON = ["--rate-limit", "1000000", "--auth-failure-limit", "1000000",
          "--max-concurrent", "4", "--max-concurrent-per-key", "4", "--slot-wait", "30000",
          "--shutdown-grace", "20", "--sandbox-max-memory", "256", "--sandbox-max-timeout", "20000"]


@pytest.fixture(scope="module")
def adhoc_work(workdir):
    d = workdir / "adhoc-files"
    d.mkdir(exist_ok=True)
    return d


@pytest.fixture(scope="module")
def ad(make_stack, adhoc_work):
    """A stack for ad-hoc runs: loopback callbacks allowed, 4 async workers."""
    return make_stack("adhoc", *COMMON, "--sandbox-work-dir", str(adhoc_work),
                      "--callback-allow", "127.0.0.0/8", "--async-workers", "4",
                      "--callback-retries", "3")


def execute(stack, body, key, headers=None):
    return stack.request("POST", "/api/execute", body, key=key, headers=headers)


def error_of(r, status, code=None):
    assert r.status == status, r
    body = r.json()
    assert body.get("success") is False, body
    err = body["error"]
    if code is not None:
        assert err["code"] == code, body
    return err


def run_dirs(work):
    return sorted(p.name for p in work.iterdir())


def wait_final(stack, key, run_id, timeout=90):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        r = stack.get(f"/api/runs/{run_id}", key=key)
        assert r.status == 200, r
        rep = r.json()
        if not seen or seen[-1] != rep["status"]:
            seen.append(rep["status"])
        if rep["status"] in FINAL:
            return rep, seen
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish; statuses seen: {seen}")


def wait_status(stack, key, run_id, want, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rep = stack.get(f"/api/runs/{run_id}", key=key).json()
        if rep["status"] == want:
            return rep
        assert rep["status"] not in FINAL, rep
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} never became {want}")


def containers_of(engine, run_id):
    return [c for c in engine.managed() if (c.get("Labels") or {}).get("ignite.run") == run_id]


def containers_gone(engine, run_id, timeout=15):
    """The daemon removes a finished run's container just after answering:
    [] once it is gone, else what is still there after timeout seconds."""
    deadline = time.monotonic() + timeout
    while (left := containers_of(engine, run_id)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


# ---- multi-file TypeScript on every runtime ---------------------------------------

TS_FILES = {
    "index.ts": (
        'import { greet, sum } from "./lib/util.ts";\n'
        'import { shout } from "./lib/deep/shout.ts";\n'
        'const input: { name?: string; nums?: number[] } = JSON.parse(process.env.IGNITE_INPUT ?? "null") ?? {};\n'
        'console.log(JSON.stringify({ msg: shout(greet(input.name ?? "world")), total: sum(input.nums ?? []) }));\n'
    ),
    "lib/util.ts": (
        'export function greet(name: string): string { return `hello, ${name}`; }\n'
        'export const sum = (xs: number[]): number => xs.reduce((a: number, b: number) => a + b, 0);\n'
    ),
    "lib/deep/shout.ts": 'export const shout = (s: string): string => s.toUpperCase() + "!";\n',
}

JS_FILES = {
    "index.js": (
        'const { greet, sum } = require("./lib/util.js");\n'
        'const input = JSON.parse(process.env.IGNITE_INPUT || "null") || {};\n'
        'console.log(JSON.stringify({ msg: greet(input.name || "world").toUpperCase() + "!", total: sum(input.nums || []) }));\n'
    ),
    "lib/util.js": (
        'exports.greet = (name) => `hello, ${name}`;\n'
        'exports.sum = (xs) => xs.reduce((a, b) => a + b, 0);\n'
    ),
}


@pytest.mark.parametrize("runtime", ["node@24", "node@22", "bun", "deno"])
def test_multifile_typescript(ad, keys, adhoc_work, runtime):
    r = execute(ad, {"runtime": runtime, "files": TS_FILES, "entry": "index.ts",
                     "input": {"name": "ada", "nums": [1, 2, 3.5]}}, keys.execute)
    assert r.status == 200, r
    rep = r.json()
    assert rep["success"] is True and rep["status"] == "success", rep
    assert json.loads(rep["metrics"]["stdout"]) == {"msg": "HELLO, ADA!", "total": 6.5}, rep["metrics"]
    assert rep["serviceName"] == "adhoc" and rep["kind"] == "adhoc", rep
    assert rep["runtime"]["name"] == runtime.split("@")[0], rep["runtime"]
    assert rep["audit"] is True, rep
    assert {f["name"] for f in rep["files"]} == set(TS_FILES), rep["files"]
    assert rep["preflight"]["overallStatus"] in ("pass", "warn"), rep["preflight"]
    # Stored like any run, and the files are gone from the host.
    got = ad.get(f"/api/runs/{rep['runId']}", key=keys.read).json()
    assert got["runId"] == rep["runId"] and got["files"] == rep["files"]
    assert run_dirs(adhoc_work) == []


def test_node20_runs_javascript(ad, keys, adhoc_work):
    r = execute(ad, {"runtime": "node@20", "files": JS_FILES, "entry": "index.js",
                     "input": {"name": "bob", "nums": [4]}}, keys.execute)
    assert r.status == 200, r
    rep = r.json()
    assert rep["status"] == "success", rep
    assert rep["runtime"]["version"].startswith("20."), rep["runtime"]
    assert json.loads(rep["metrics"]["stdout"]) == {"msg": "HELLO, BOB!", "total": 4}
    assert run_dirs(adhoc_work) == []


def test_node20_refuses_typescript_naming_entry(ad, keys):
    err = error_of(execute(ad, {"runtime": "node@20", "files": TS_FILES, "entry": "index.ts"},
                           keys.execute), 400, "invalid_field")
    assert err["field"] == "entry" and "TypeScript" in err["message"], err


def test_base64_files_and_stdin(ad, keys):
    data = bytes(range(256))
    files = {
        "main.ts": ('import { readFileSync } from "node:fs";\n'
                    'const b = readFileSync(new URL("./blob.bin", import.meta.url));\n'
                    'let s = 0; for (const x of b) s += x;\n'
                    'const text = readFileSync(0, "utf8");\n'
                    'console.log(JSON.stringify({ n: b.length, s, text }));\n'),
        "blob.bin": {"content": base64.b64encode(data).decode(), "encoding": "base64"},
    }
    r = execute(ad, {"runtime": "node@24", "files": files, "entry": "main.ts", "stdin": "from stdin"},
                keys.execute)
    assert r.status == 200, r
    rep = r.json()
    assert rep["status"] == "success", rep
    assert json.loads(rep["metrics"]["stdout"]) == {"n": 256, "s": sum(data), "text": "from stdin"}
    blob = [f for f in rep["files"] if f["name"] == "blob.bin"][0]
    assert blob["encoding"] == "base64" and blob["bytes"] == 256 and blob.get("binary") is True, blob


def test_single_file_needs_no_entry_and_is_sandboxed(ad, keys):
    code = ('import { writeFileSync } from "node:fs";\n'
            'let net = "blocked"; try { await fetch("http://1.1.1.1/"); net = "open"; } catch {}\n'
            'let fsw = "blocked"; try { writeFileSync("/app/x", "y"); fsw = "open"; } catch {}\n'
            'console.log(JSON.stringify({ net, fsw, uid: process.getuid() }));\n')
    r = execute(ad, {"runtime": "node@24", "files": {"probe.mjs": code}}, keys.execute)
    assert r.status == 200, r
    rep = r.json()
    assert json.loads(rep["metrics"]["stdout"]) == {"net": "blocked", "fsw": "blocked", "uid": 10001}, rep
    assert rep["securityAudit"]["policy"]["network"]["enabled"] is False


def test_limits_within_profile_apply(ad, keys):
    r = execute(ad, {"runtime": "node@24", "files": {"a.js": "for(;;){}"},
                     "limits": {"timeoutMs": 700, "memoryMb": 96, "cpuLimit": 0.5}}, keys.execute)
    assert r.status == 200, r
    rep = r.json()
    assert rep["status"] == "timeout" and rep["metrics"]["timedOut"] is True, rep
    assert rep["limits"]["timeoutMs"] == 700 and rep["limits"]["memoryMb"] == 96, rep["limits"]
    assert rep["limits"]["cpuLimit"] == 0.5, rep["limits"]


# ---- every rejection names its field ------------------------------------------------

def big(n):
    return "x" * n


BAD_FILES = [
    ("traversal", {"../escape.js": "1"}, 'files["../escape.js"]', '".."'),
    ("traversal-deep", {"lib/../../escape.js": "1"}, 'files["lib/../../escape.js"]', '".."'),
    ("absolute", {"/etc/evil.js": "1"}, 'files["/etc/evil.js"]', "relative"),
    ("dot", {"./a.js": "1"}, 'files["./a.js"]', "plain relative path"),
    ("backslash", {"a\\b.js": "1"}, 'files["a\\x5cb.js"]', "backslash"),
    ("too-deep", {"/".join("d" * 9) + ".js": "1"}, None, "levels deep"),
    ("too-many", {f"f{i}.js": "1" for i in range(65)}, "files", "65 files"),
    ("file-too-big", {"big.js": big(256 * 1024 + 1)}, 'files["big.js"]', "at most 262144"),
    ("total-too-big", {"a.js": big(200 * 1024), "b.js": big(200 * 1024), "c.js": big(200 * 1024)},
     "files", "in all"),
    ("bad-base64", {"a.bin": {"content": "not*base64", "encoding": "base64"}}, 'files["a.bin"]',
     "invalid base64"),
    ("base64-padding", {"a.bin": {"content": "Zg=", "encoding": "base64"}}, 'files["a.bin"]',
     "multiple of 4"),
    ("bad-encoding", {"a.js": {"content": "1", "encoding": "gzip"}}, 'files["a.js"].encoding', "base64"),
    ("not-a-string", {"a.js": 5}, 'files["a.js"]', "string or an object"),
    ("empty", {}, "files", "at least one file"),
]


@pytest.mark.parametrize("case,files,field,words", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_file_rejections(ad, keys, adhoc_work, case, files, field, words):
    entry = next(iter(files), None)
    body = {"runtime": "node@24", "files": files}
    if entry and len(files) > 1:
        body["entry"] = entry
    err = error_of(execute(ad, body, keys.execute), 400, "invalid_field")
    if field is None:
        assert err["field"].startswith('files["d/d/'), err
    else:
        assert err["field"] == field, err
    assert err["message"].startswith(err["field"]), err
    assert words in err["message"], err
    assert run_dirs(adhoc_work) == []


BAD_REQUESTS = [
    ("no-runtime", {"files": {"a.js": "1"}}, "runtime", "required"),
    ("unknown-runtime", {"runtime": "python", "files": {"a.js": "1"}}, "runtime", "unknown runtime"),
    ("no-files", {"runtime": "node"}, "files", "required"),
    ("entry-missing", {"runtime": "node", "files": {"a.js": "1", "b.js": "2"}}, "entry", "required"),
    ("entry-not-a-file", {"runtime": "node", "files": {"a.js": "1"}, "entry": "b.js"}, "entry",
     "not one of the files"),
    ("wrong-extension", {"runtime": "node", "files": {"a.py": "1"}}, "entry", ""),
    ("memory-above-profile", {"runtime": "node", "files": {"a.js": "1"}, "limits": {"memoryMb": 257}},
     "limits.memoryMb", "sandbox maximum of 256"),
    ("timeout-above-profile", {"runtime": "node", "files": {"a.js": "1"}, "limits": {"timeoutMs": 20001}},
     "limits.timeoutMs", "sandbox maximum of 20000"),
    ("cpu-above-profile", {"runtime": "node", "files": {"a.js": "1"}, "limits": {"cpuLimit": 1.5}},
     "limits.cpuLimit", "sandbox maximum of 1"),
    ("bad-limit-type", {"runtime": "node", "files": {"a.js": "1"}, "limits": {"memoryMb": "big"}},
     "limits.memoryMb", "positive integer"),
    ("unknown-limit", {"runtime": "node", "files": {"a.js": "1"}, "limits": {"pids": 5}}, "limits", "unknown"),
    ("audit-off", {"runtime": "node", "files": {"a.js": "1"}, "audit": False}, "audit", "audit mode"),
    ("unknown-field", {"runtime": "node", "files": {"a.js": "1"}, "shell": "sh"}, "shell", "unknown"),
    ("callback-without-async", {"runtime": "node", "files": {"a.js": "1"},
                                "callbackUrl": "http://127.0.0.1:1/"}, "callbackUrl", "async"),
    ("callback-private", {"runtime": "node", "files": {"a.js": "1"}, "async": True,
                          "callbackUrl": "http://10.0.0.1/hook"}, "callbackUrl", "not an allowed callback target"),
    ("callback-metadata", {"runtime": "node", "files": {"a.js": "1"}, "async": True,
                           "callbackUrl": "http://169.254.169.254/latest/meta-data/"}, "callbackUrl", "169.254.169.254"),
    ("callback-scheme", {"runtime": "node", "files": {"a.js": "1"}, "async": True,
                         "callbackUrl": "file:///etc/passwd"}, "callbackUrl", "http or https"),
    ("callback-credentials", {"runtime": "node", "files": {"a.js": "1"}, "async": True,
                              "callbackUrl": "http://u:p@127.0.0.1/"}, "callbackUrl", "password"),
]


@pytest.mark.parametrize("case,body,field,words", BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS])
def test_request_rejections(ad, keys, adhoc_work, case, body, field, words):
    err = error_of(execute(ad, body, keys.execute), 400)
    assert err["field"] == field, err
    assert words in err["message"], err
    assert run_dirs(adhoc_work) == []


def test_disallowed_runtime_and_disabled_sandbox(make_stack, keys, adhoc_work):
    s = make_stack("adhoc-node24", *COMMON, "--sandbox-work-dir", str(adhoc_work),
                   "--sandbox-runtimes", "node@24")
    err = error_of(execute(s, {"runtime": "bun", "files": {"a.js": "1"}}, keys.execute), 400)
    assert err["field"] == "runtime" and "not allowed" in err["message"], err
    err = error_of(execute(s, {"runtime": "node@22", "files": {"a.js": "1"}}, keys.execute), 400)
    assert err["field"] == "runtime", err
    off = make_stack("adhoc-off", *COMMON, "--sandbox-work-dir", str(adhoc_work), "--sandbox-runtimes=")
    err = error_of(execute(off, {"runtime": "node", "files": {"a.js": "1"}}, keys.execute), 400)
    assert err["field"] == "runtime" and "disabled" in err["message"], err
    s.stop()
    off.stop()


def test_scope_and_auth(ad, keys):
    assert execute(ad, {"runtime": "node", "files": {"a.js": "1"}}, keys.read).status == 403
    assert execute(ad, {"runtime": "node", "files": {"a.js": "1"}}, None).status == 401
    assert ad.request("DELETE", "/api/runs/" + "0" * 32, key=keys.read).status == 403
    assert ad.request("POST", "/api/batch", {"requests": []}, key=keys.read).status == 403


# ---- async runs with signed callbacks -------------------------------------------------

class Receiver:
    """An HTTP server on loopback that records every POST."""

    def __init__(self, statuses=()):
        self.requests = []
        self.statuses = list(statuses)
        self.cond = threading.Condition()
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with outer.cond:
                    outer.requests.append((self.path, dict(self.headers), body))
                    status = outer.statuses.pop(0) if outer.statuses else 200
                    outer.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.port}{path}"

    def wait(self, n, timeout=60):
        with self.cond:
            self.cond.wait_for(lambda: len(self.requests) >= n, timeout)
            assert len(self.requests) >= n, f"{len(self.requests)} callbacks, wanted {n}"
            return list(self.requests)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    rv = Receiver()
    yield rv
    rv.close()


def webhook_secret(stack, key):
    r = stack.get("/api/keys/me/webhook-secret", key=key)
    assert r.status == 200, r
    b = r.json()
    assert re.fullmatch(r"[0-9a-f]{64}", b["webhookSecret"]), b
    assert b["algorithm"] == "HMAC-SHA256" and b["header"] == "X-Ignite-Signature", b
    return b["webhookSecret"]


def verify(secret, header, body, tolerance=300):
    """What a receiver does: parse t and v1, recompute, compare in constant time."""
    m = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", header or "")
    if not m:
        return False
    t = int(m.group(1))
    if abs(time.time() - t) > tolerance:
        return False
    want = hmac.new(secret.encode(), m.group(1).encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, m.group(2))


def test_async_lifecycle_with_signed_callback(ad, keys, receiver, adhoc_work):
    files = {"index.ts": 'await new Promise((r) => setTimeout(r, 1500));\n'
                         'console.log("done " + JSON.parse(process.env.IGNITE_INPUT).n);\n'}
    r = execute(ad, {"runtime": "node@24", "files": files, "async": True, "input": {"n": 7},
                     "callbackUrl": receiver.url("/hook?x=1")}, keys.execute)
    assert r.status == 202, r
    b = r.json()
    run_id = b["runId"]
    assert RUN_ID.fullmatch(run_id) and b["status"] == "queued", b
    assert b["reportUrl"] == f"/runs/{run_id}", b
    assert r.header("Location") == f"/api/runs/{run_id}", r.headers
    rep, seen = wait_final(ad, keys.read, run_id)
    assert rep["status"] == "success" and rep["metrics"]["stdout"] == "done 7\n", rep
    assert "running" in seen and seen[-1] == "success", seen
    assert rep["async"] is True and rep["queuedAt"] and rep["files"][0]["name"] == "index.ts", rep

    path, headers, body = receiver.wait(1)[0]
    assert path == "/hook?x=1"
    assert headers["X-Ignite-Run"] == run_id
    assert headers["Content-Type"] == "application/json"
    sent = json.loads(body)
    assert sent["runId"] == run_id and sent["status"] == "success", sent
    secret = webhook_secret(ad, keys.execute)
    assert verify(secret, headers["X-Ignite-Signature"], body), headers
    # Tampering with anything breaks it: the body, the timestamp, the secret.
    assert not verify(secret, headers["X-Ignite-Signature"], body.replace(b"success", b"failed!"))
    t, v1 = headers["X-Ignite-Signature"].split(",")
    forged = f"t={int(t[2:]) + 1},{v1}"
    assert not verify(secret, forged, body)
    assert not verify(webhook_secret(ad, keys.spare1), headers["X-Ignite-Signature"], body)
    # The delivery is recorded in the run.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        cb = ad.get(f"/api/runs/{run_id}", key=keys.read).json().get("callback")
        if cb:
            break
        time.sleep(0.1)
    assert cb == {"delivered": True, "attempts": 1, "httpStatus": 200}, cb
    assert run_dirs(adhoc_work) == []


def test_callback_retries_with_backoff(ad, keys):
    rv = Receiver(statuses=[500, 503])
    try:
        r = execute(ad, {"runtime": "node@24", "files": {"a.js": "console.log(1)"}, "async": True,
                         "callbackUrl": rv.url()}, keys.execute)
        assert r.status == 202, r
        reqs = rv.wait(3, timeout=30)
        sigs = [h["X-Ignite-Signature"] for _, h, _ in reqs]
        secret = webhook_secret(ad, keys.execute)
        assert all(verify(secret, s, b) for s, (_, _, b) in zip(sigs, reqs))
        run_id = r.json()["runId"]
        deadline = time.monotonic() + 10
        cb = None
        while time.monotonic() < deadline and not cb:
            cb = ad.get(f"/api/runs/{run_id}", key=keys.read).json().get("callback")
            time.sleep(0.1)
        assert cb == {"delivered": True, "attempts": 3, "httpStatus": 200}, cb
    finally:
        rv.close()


def test_loopback_callbacks_are_denied_by_default(stack, keys, receiver):
    err = error_of(stack.request("POST", "/api/execute",
                                 {"runtime": "node", "files": {"a.js": "1"}, "async": True,
                                  "callbackUrl": receiver.url()}, key=keys.execute), 400)
    assert err["field"] == "callbackUrl" and "127.0.0.1" in err["message"], err
    err = error_of(stack.request("POST", "/api/execute",
                                 {"runtime": "node", "files": {"a.js": "1"}, "async": True,
                                  "callbackUrl": f"http://localhost:{receiver.port}/"}, key=keys.execute), 400)
    assert err["field"] == "callbackUrl", err
    assert receiver.requests == []


def test_async_service_execute(ad, keys):
    r = ad.execute("hello", {"input": {"name": "Async"}, "async": True}, key=keys.execute)
    assert r.status == 202, r
    rep, _ = wait_final(ad, keys.read, r.json()["runId"])
    assert rep["status"] == "success" and rep["serviceName"] == "hello", rep
    assert "Hello, Async!" in rep["metrics"]["stdout"], rep
    # Streaming and async do not mix.
    r = ad.execute("hello", {"async": True}, key=keys.execute, query="?stream=1")
    assert error_of(r, 400)["field"] == "stream"


# ---- idempotency -------------------------------------------------------------------------

def test_idempotent_async_retry_returns_the_same_run(ad, keys):
    key = "retry-" + str(time.time_ns())
    body = {"runtime": "node@24", "files": {"a.js": "console.log('once')"}, "async": True}
    first = execute(ad, body, keys.execute, headers={"Idempotency-Key": key})
    assert first.status == 202, first
    again = execute(ad, body, keys.execute, headers={"Idempotency-Key": key})
    assert again.status == 202, again
    assert again.json()["runId"] == first.json()["runId"]
    assert again.header("Idempotent-Replayed") == "true"
    rep, _ = wait_final(ad, keys.read, first.json()["runId"])
    assert rep["status"] == "success"
    third = execute(ad, body, keys.execute, headers={"Idempotency-Key": key})
    assert third.json()["runId"] == first.json()["runId"] and third.json()["status"] == "success"
    # Only one run was made for the key.
    runs = ad.get("/api/runs?service=adhoc&limit=100", key=keys.read).json()["runs"]
    assert sum(1 for x in runs if x["runId"] == first.json()["runId"]) == 1
    # The same key with another body is refused; another API key has its own keys.
    err = error_of(execute(ad, dict(body, input=1), keys.execute, headers={"Idempotency-Key": key}), 422)
    assert err["code"] == "idempotency_key_reused"
    other = execute(ad, body, keys.spare2, headers={"Idempotency-Key": key})
    assert other.status == 202 and other.json()["runId"] != first.json()["runId"]
    wait_final(ad, keys.read, other.json()["runId"])


def test_idempotent_sync_retry(ad, keys):
    key = "sync-" + str(time.time_ns())
    body = {"runtime": "node@24", "files": {"a.js": "console.log(Math.random())"}}
    first = execute(ad, body, keys.execute, headers={"Idempotency-Key": key})
    assert first.status == 200, first
    again = execute(ad, body, keys.execute, headers={"Idempotency-Key": key})
    assert again.status == 200 and again.header("Idempotent-Replayed") == "true"
    assert again.json()["runId"] == first.json()["runId"]
    assert again.json()["metrics"]["stdout"] == first.json()["metrics"]["stdout"]
    # A service execute takes the header too.
    k2 = key + "-svc"
    a = ad.execute("hello", {"input": {"name": "Idem"}}, key=keys.execute, headers={"Idempotency-Key": k2})
    b = ad.execute("hello", {"input": {"name": "Idem"}}, key=keys.execute, headers={"Idempotency-Key": k2})
    assert a.status == 200 and b.status == 200 and a.json()["runId"] == b.json()["runId"], (a, b)
    # A request refused before it ran does not use up the key.
    k3 = key + "-bad"
    bad = execute(ad, {"runtime": "node", "files": {"../a.js": "1"}}, keys.execute,
                  headers={"Idempotency-Key": k3})
    assert bad.status == 400
    ok = execute(ad, {"runtime": "node", "files": {"a.js": "1"}}, keys.execute,
                 headers={"Idempotency-Key": k3})
    assert ok.status == 200, ok


def test_idempotency_key_must_be_printable(ad, keys):
    r = execute(ad, {"runtime": "node", "files": {"a.js": "1"}}, keys.execute,
                headers={"Idempotency-Key": "x" * 300})
    assert error_of(r, 400)["field"] == "Idempotency-Key"


# ---- cancellation ----------------------------------------------------------------------

def test_cancel_running_leaves_no_container(ad, keys, engine, adhoc_work):
    files = {"spin.js": "console.log('started'); setInterval(() => {}, 1000);"}
    r = execute(ad, {"runtime": "node@24", "files": files, "async": True,
                     "limits": {"timeoutMs": 20000}}, keys.execute)
    assert r.status == 202, r
    run_id = r.json()["runId"]
    wait_status(ad, keys.read, run_id, "running")
    deadline = time.monotonic() + 30
    while not containers_of(engine, run_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert containers_of(engine, run_id), "the run never got a container"
    # Another key may not cancel it; an unknown run is 404.
    assert ad.request("DELETE", f"/api/runs/{run_id}", key=keys.spare3).status == 403
    assert ad.request("DELETE", "/api/runs/" + "f" * 32, key=keys.execute).status == 404
    t0 = time.monotonic()
    d = ad.request("DELETE", f"/api/runs/{run_id}", key=keys.execute)
    assert d.status == 200, d
    assert d.json()["status"] == "cancelled", d.json()
    assert time.monotonic() - t0 < 15
    assert containers_gone(engine, run_id) == []
    rep = ad.get(f"/api/runs/{run_id}", key=keys.read).json()
    assert rep["status"] == "cancelled" and rep["success"] is False, rep
    assert run_dirs(adhoc_work) == []
    # Finished runs cannot be cancelled.
    again = ad.request("DELETE", f"/api/runs/{run_id}", key=keys.execute)
    assert error_of(again, 409, "not_cancellable")


def test_cancel_queued(make_stack, keys, engine, adhoc_work):
    s = make_stack("adhoc-one-worker", *COMMON, "--sandbox-work-dir", str(adhoc_work),
                   "--async-workers", "1")
    spin = {"runtime": "node@24", "files": {"spin.js": "setInterval(() => {}, 1000)"}, "async": True,
            "limits": {"timeoutMs": 20000}}
    first = execute(s, spin, keys.execute).json()["runId"]
    wait_status(s, keys.read, first, "running")
    second = execute(s, spin, keys.execute).json()["runId"]
    assert s.get(f"/api/runs/{second}", key=keys.read).json()["status"] == "queued"
    d = s.request("DELETE", f"/api/runs/{second}", key=keys.admin)
    assert d.status == 200 and d.json()["status"] == "cancelled", d
    assert s.request("DELETE", f"/api/runs/{first}", key=keys.execute).status == 200
    for rid in (first, second):
        assert s.get(f"/api/runs/{rid}", key=keys.read).json()["status"] == "cancelled"
        assert containers_gone(engine, rid) == []
    assert run_dirs(adhoc_work) == []
    s.stop()


# ---- batches ------------------------------------------------------------------------------

def test_batch_of_20(ad, keys, adhoc_work):
    reqs = []
    for i in range(20):
        if i % 4 == 3:
            reqs.append({"service": "hello", "input": {"name": f"svc{i}"}})
        else:
            reqs.append({"runtime": ["node@24", "bun", "deno"][i % 3],
                         "files": {"main.ts": f"const n: number = {i}; console.log(n * 2);"}})
    r = ad.request("POST", "/api/batch", {"requests": reqs}, key=keys.execute)
    assert r.status == 202, r
    b = r.json()
    batch = b["batchId"]
    assert RUN_ID.fullmatch(batch) and len(b["runs"]) == 20, b
    assert b["listUrl"] == f"/api/runs?batch={batch}"
    ids = [x["runId"] for x in b["runs"]]
    assert len(set(ids)) == 20
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        runs = ad.get(f"/api/runs?batch={batch}&limit=100", key=keys.read).json()["runs"]
        if len(runs) == 20 and all(x["status"] in FINAL for x in runs):
            break
        time.sleep(0.5)
    assert sorted(x["runId"] for x in runs) == sorted(ids)
    assert all(x["status"] == "success" for x in runs), [(x["runId"], x["status"]) for x in runs]
    for i, rid in enumerate(ids):
        rep = ad.get(f"/api/runs/{rid}", key=keys.read).json()
        assert rep["batch"] == batch
        if i % 4 == 3:
            assert f"Hello, svc{i}!" in rep["metrics"]["stdout"], rep
        else:
            assert rep["metrics"]["stdout"] == f"{i * 2}\n", rep
    # Filters combine; pages work.
    only_svc = ad.get(f"/api/runs?batch={batch}&service=hello&limit=100", key=keys.read).json()["runs"]
    assert len(only_svc) == 5
    page = ad.get(f"/api/runs?batch={batch}&limit=7", key=keys.read).json()
    assert len(page["runs"]) == 7 and page["next"]
    assert run_dirs(adhoc_work) == []


def test_batch_rejections(ad, keys, adhoc_work):
    def post(body):
        return ad.request("POST", "/api/batch", body, key=keys.execute)

    assert error_of(post({"requests": []}), 400)["field"] == "requests"
    assert error_of(post({"requests": [{"service": "hello"}] * 21}), 400)["field"] == "requests"
    assert error_of(post({"nope": 1}), 400)["field"] == "nope"
    err = error_of(post({"requests": [{"service": "hello"},
                                      {"runtime": "node", "files": {"../x.js": "1"}}]}), 400)
    assert err["field"] == 'requests[1].files["../x.js"]', err
    err = error_of(post({"requests": [{"service": "no-such-service"}]}), 404)
    assert err["field"] == "requests[0].service", err
    err = error_of(post({"requests": [{"service": "hello", "runtime": "node", "files": {"a.js": "1"}}]}), 400)
    assert err["field"] == "requests[0].service", err
    # Nothing of a refused batch was queued.
    assert run_dirs(adhoc_work) == []


def test_batch_idempotency(ad, keys):
    key = "batch-" + str(time.time_ns())
    body = {"requests": [{"runtime": "node", "files": {"a.js": "console.log(1)"}}] * 2}
    a = ad.request("POST", "/api/batch", body, key=keys.execute, headers={"Idempotency-Key": key})
    b = ad.request("POST", "/api/batch", body, key=keys.execute, headers={"Idempotency-Key": key})
    assert a.status == 202 and b.status == 202, (a, b)
    assert a.json()["batchId"] == b.json()["batchId"]
    assert sorted(x["runId"] for x in a.json()["runs"]) == sorted(x["runId"] for x in b.json()["runs"])


# ---- the HTML report shows the files --------------------------------------------------------

def test_html_report_shows_submitted_files(ad, keys):
    files = {"index.ts": 'import { v } from "./lib/v.ts";\nconsole.log("<b>" + v + "</b>");\n',
             "lib/v.ts": 'export const v: string = "<script>alert(1)</script>";\n'}
    r = execute(ad, {"runtime": "node@24", "files": files, "entry": "index.ts"}, keys.execute)
    assert r.status == 200, r
    page = ad.get(f"/runs/{r.json()['runId']}")
    assert page.status == 200, page
    text = page.text
    assert "<code>lib/v.ts</code>" in text and "<code>index.ts</code>" in text, text[-3000:]
    # The content is shown, escaped: hostile text never becomes markup.
    assert 'export const v: string = "<script>alert(1)</script>";' in html.unescape(text)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert(1)</script>" not in text


# ---- shutdown and restart -------------------------------------------------------------------

def stored(stack, run_id):
    return json.loads((stack.runs / f"{run_id}.json").read_text())


def test_sigterm_drains_the_queue(make_stack, keys, engine, adhoc_work):
    s = make_stack("adhoc-drain", *COMMON, "--sandbox-work-dir", str(adhoc_work), "--async-workers", "1")
    body = {"runtime": "node@24", "files": {"a.js": "setTimeout(() => console.log('ok'), 300)"}, "async": True}
    ids = [execute(s, body, keys.execute).json()["runId"] for _ in range(3)]
    assert s.stop_daemon() == 0
    for rid in ids:
        rep = stored(s, rid)
        assert rep["status"] == "success" and rep["metrics"]["stdout"] == "ok\n", rep
        assert containers_gone(engine, rid) == []
    assert run_dirs(adhoc_work) == []
    s.stop()


def test_sigterm_after_grace_cancels(make_stack, keys, engine, adhoc_work):
    s = make_stack("adhoc-grace", *COMMON, "--sandbox-work-dir", str(adhoc_work), "--async-workers", "1",
                   "--shutdown-grace", "1")
    spin = {"runtime": "node@24", "files": {"spin.js": "setInterval(() => {}, 1000)"}, "async": True,
            "limits": {"timeoutMs": 20000}}
    first = execute(s, spin, keys.execute).json()["runId"]
    wait_status(s, keys.read, first, "running")
    second = execute(s, spin, keys.execute).json()["runId"]
    t0 = time.monotonic()
    assert s.stop_daemon() == 0
    assert time.monotonic() - t0 < 15
    assert stored(s, first)["status"] == "cancelled"
    assert stored(s, second)["status"] == "cancelled"
    for rid in (first, second):
        assert containers_gone(engine, rid) == []
    assert run_dirs(adhoc_work) == []
    s.stop()


def test_crash_leaves_no_run_unfinished(make_stack, keys, engine, adhoc_work):
    s = make_stack("adhoc-crash", *COMMON, "--sandbox-work-dir", str(adhoc_work), "--async-workers", "1")
    spin = {"runtime": "node@24", "files": {"spin.js": "setInterval(() => {}, 1000)"}, "async": True,
            "limits": {"timeoutMs": 20000}}
    rid = execute(s, spin, keys.execute).json()["runId"]
    wait_status(s, keys.read, rid, "running")
    deadline = time.monotonic() + 30
    while not containers_of(engine, rid) and time.monotonic() < deadline:
        time.sleep(0.05)
    s.daemon.kill()
    s.daemon.wait()
    s.daemon_exits.append(0)     # killed on purpose
    s.daemon = None
    s.start_daemon()
    rep = s.get(f"/api/runs/{rid}", key=keys.read).json()
    assert rep["status"] == "error" and rep["error"]["code"] == "interrupted", rep
    # The start-up sweep removed the dead daemon's container and files.
    assert containers_gone(engine, rid) == []
    assert run_dirs(adhoc_work) == []
    s.stop()
