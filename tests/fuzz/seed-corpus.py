#!/usr/bin/env python3
"""Builds the seed corpora of tests/fuzz/corpus/ from Ignite's own files.

Run by hand from anywhere; rewrites the seeds it owns (named "seed-*") and
leaves everything else in corpus/ alone (the Docker captures of
capture-docker-seeds.py, entries merged back by `make fuzz`).

Sources: examples/*/service.yaml and tests/corpus/** (service), the hostile
services' policies (policy), ignite.yaml.example (config), templates/*.html
with the page contexts of tests/unit/test_pages.c and the Mustache spec
cases of tests/unit/fixtures/mustache (template), runtimes/runtimes.json and
tests/unit/fixtures/runtimes-basic.json (runtime), and hand-written edge
cases for the rest. Input formats: see the comment at the top of each
tests/fuzz/fuzz_<target>.c.
"""
import ast
import glob
import hashlib
import hmac
import json
import os
import re
import sys

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(FUZZ))
CORPUS = os.path.join(FUZZ, "corpus")
KEY = b"0123456789abcdef" * 4       # FUZZ_CHANNEL_KEY


def rd(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


def b(x):
    return x if isinstance(x, bytes) else x.encode()


class Target:
    def __init__(self, name):
        self.dir = os.path.join(CORPUS, name)
        os.makedirs(self.dir, exist_ok=True)
        for old in glob.glob(os.path.join(self.dir, "seed-*")):
            os.unlink(old)

    def add(self, label, data):
        label = re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-")[:60]
        with open(os.path.join(self.dir, "seed-" + label), "wb") as f:
            f.write(b(data))


def c_strings(path):
    """The `static const char name[] = "…" MACRO "…";` constants of a C file."""
    src = open(os.path.join(ROOT, path)).read()
    macros = dict(re.findall(r'^#define\s+(\w+)\s+("(?:[^"\\]|\\.)*")\s*$', src, re.M))
    out = {}
    for m in re.finditer(r"static const char (\w+)\[\] =\s*(.*?);\n", src, re.S):
        parts = re.findall(r'"(?:[^"\\]|\\.)*"|\b[A-Z_]+\b', m.group(2))
        out[m.group(1)] = "".join(ast.literal_eval(macros.get(p, p)) for p in parts)
    return out


# ---- YAML files ---------------------------------------------------------------

YAML_EDGES = {
    "anchor-alias": "a: &x 1\nb: *x\n",
    "tags": "s: !!str 12\ni: !!int 3\nm: !!map {a: 1}\nq: !!seq [1]\nx: !custom y\n",
    "multi-doc": "a: 1\n---\nb: 2\n",
    "flow": "{s: text, i: 7, n: 2.5e3, b: true, l: [a, b, bad], sm: {K: 1, bad: x}, m: {mi: 3, ms: hi}}\n",
    "block-scalars": "s: |\n  line one\n  line two\nreq: >-\n  folded\n  text\n",
    "dup-keys": "a: 1\na: 2\n",
    "complex-key": "? [a, b]\n: 1\n",
    "nul-escape": 's: "a\\0b"\nreq: "\\u00e9\\x41"\n',
    "bom16": b"\xff\xfea\x00:\x00 \x001\x00\n\x00",
    "bad-utf8": b"a: \xc3\x28\n",
    "deep": "a: " + "[" * 40 + "]" * 40 + "\n",
    "numbers": "i: -0\nn: .inf\nb: yes\nx: 0x1F\ny: 1e3\nz: 007\nw: 9223372036854775808\n",
    "empty-comments": "# only a comment\n",
    "nulls": "s: ~\ni: null\nl: Null\nsm:\nm:\n",
}

SERVICE_EXTRA = {
    "preflight": """service:
  name: pf
  runtime: bun@1
  entry: src/main.ts
  memoryMb: 256
  cpuLimit: 0.5
  timeoutMs: 10000
  env: {A: "1", B: two, C: 3.5}
preflight:
  memory: {baseMb: 40, perDependencyMb: 1.5, warnRatio: 1.2, failRatio: 0.9}
  dependencies: {warnCount: 80, infoCount: 30}
  image: {warnMb: 400, failMb: 900}
  timeout: {minMs: 50, maxMs: 60000, coldStartBufferMs: 250}
""",
}

POLICY_EXTRA = {
    "defaults-empty": "",
    "full": """security:
  network:
    enabled: true
  filesystem:
    readOnly: false
  process:
    allowSpawn: true
    allowedCommands: [node, git, /usr/bin/env]
""",
    "wrong-types": "security:\n  network: {enabled: yes}\n  filesystem: {readOnly: 1}\n  process: {allowedCommands: node}\n",
    "unknown-key": "security:\n  netwrk: {enabled: false}\n",
}

LOCK = {
    "full": """# ignite.lock — written by `ignite lock --update`
lockfileVersion: 1
runtime: "node@24.22.3"
image: "ignite-runtime/node:24.22.3"
sha256:
  "package.json": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
  "package-lock.json": "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
  "bun.lockb": "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9"
""",
    "minimal": 'lockfileVersion: 1\nruntime: "bun@1.4.5"\nsha256: {}\n',
    "no-image-null-sha": "lockfileVersion: 1\nruntime: deno@2.9.6\nsha256:\n",
    "bad": 'lockfileVersion: 2\nruntime: "node@24"\nsha256:\n  "evil.json": "XYZ"\n  "yarn.lock": "9F86D081"\n',
}

CONFIG_EXTRA = {
    "minimal": "server:\n  workers: 2\n",
    "relative-paths": "paths:\n  servicesDir: services\n  runsDir: ./runs//\n  keysFile: keys\n",
    "all-sections": """server: {socket: /tmp/ig.sock, socketMode: "0600", socketOwner: www-data, socketGroup: "33", workers: 4, shutdownGraceSeconds: 5}
paths: {servicesDir: /srv/ignite/services, runsDir: /srv/ignite/runs, keysFile: /etc/ignite/keys}
limits: {bodyMaxBytes: 65536, outputMaxBytes: 65536, ratePerMinute: 10, authFailuresPerMinute: 3, maxConcurrent: 4, maxConcurrentPerKey: 2, slotWaitMs: 100}
execution: {allowNonAudit: true, dockerHost: "unix:///var/run/docker.sock", warmPool: 1, pidsLimit: 32}
retention: {maxRuns: 0, maxAgeDays: 7}
auth: {scryptN: 16384, scryptR: 8, scryptP: 1, keyCacheTtlSeconds: 0, sessionTtlSeconds: 600, secureCookies: true}
log: {level: debug, format: text}
""",
    "bad-values": "server: {workers: 0, socketMode: 0777}\npaths: {runsDir: ../x}\nlog: {level: loud}\n",
}


def yaml_targets():
    svc, pol, lock, cfg, ydoc = (Target(n) for n in ("service", "policy", "lock", "config", "yamldoc"))
    for p in sorted(glob.glob(os.path.join(ROOT, "examples/*/service.yaml")) +
                    glob.glob(os.path.join(ROOT, "tests/corpus/*/*/service.yaml"))):
        rel = os.path.relpath(p, ROOT)
        label = rel.replace("/service.yaml", "").replace("tests/corpus/", "")
        svc.add(label, rd(rel))
        ydoc.add("service-" + label, rd(rel))
    for k, v in SERVICE_EXTRA.items():
        svc.add(k, v)
    for p in sorted(glob.glob(os.path.join(ROOT, "tests/hostile/*/ignite.policy.yaml"))):
        rel = os.path.relpath(p, ROOT)
        pol.add(rel.split("/")[2], rd(rel))
        ydoc.add("policy-" + rel.split("/")[2], rd(rel))
    for k, v in POLICY_EXTRA.items():
        pol.add(k, v)
    for k, v in LOCK.items():
        lock.add(k, v)
        ydoc.add("lock-" + k, v)
    if os.path.exists(os.path.join(ROOT, "ignite.yaml.example")):
        cfg.add("ignite.yaml.example", rd("ignite.yaml.example"))
        ydoc.add("config-example", rd("ignite.yaml.example"))
    for k, v in CONFIG_EXTRA.items():
        cfg.add(k, v)
    for k, v in YAML_EDGES.items():
        ydoc.add(k, v)


# ---- JSON inputs --------------------------------------------------------------

EXECUTE = {
    "input-object": '{"input": {"name": "Ada", "n": [1, 2.5, -3e2, true, null]}}',
    "all-fields": '{"input": "text", "audit": true, "skipPreflight": false, "stdin": "line\\u0000two\\n",'
                  ' "limits": {"memoryMb": 64, "timeoutMs": 1000, "cpuLimit": 0.25}}',
    "empty": "{}",
    "input-null": '{"input": null}',
    "not-object": "[1, 2, 3]",
    "bad-field": '{"audit": "yes", "limits": {"memoryMb": -1}}',
    "unknown": '{"inptu": 1}',
    "deep": '{"input": ' + "[" * 70 + "]" * 70 + "}",
    "unicode": '{"input": "\\ud83d\\ude00 \\u00e9 \\/ </script>"}',
    "trailing": '{"input": 1} x',
    "numbers": '{"input": [1e999, -0, 0.1, 12345678901234567890, 1E-400]}',
    "dup-keys": '{"input": 1, "input": 2}',
}

DOCKER_EXTRA = {
    "changes": '[{"Path":"/tmp","Kind":0},{"Path":"/tmp/x","Kind":1},{"Path":"/etc/passwd","Kind":2}]',
    "wait-error": '{"Error":{"Message":"container vanished"},"StatusCode":137}',
    "create-warnings": '{"Id":"' + "ab" * 32 + '","Warnings":["Your kernel does not support swap limit capabilities"]}',
    "progress-error": '{"status":"Loading"}\r\n{"errorDetail":{"message":"bad tar"},"error":"bad tar"}\r\n',
    "progress-stream": '{"status":"Pulling fs layer","id":"abc"}\n{"status":"Loaded image ID: sha256:' + "cd" * 32 + '"}\n',
    "time": "2024-05-01T10:00:00.123456789Z",
    "time-offset": "2024-02-29T23:59:59.5+05:30",
    "time-zero": "0001-01-01T00:00:00Z",
    "error-text": "502 Bad Gateway\r\n<html>proxy</html>",
    "head-chunked": "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
    "head-cl-dup": "HTTP/1.1 200 OK\r\nContent-Length: 12\r\ncontent-length:  12 \r\n\r\n{}",
    "api": "1.41\n1.12",
}


def json_targets():
    ex = Target("execute")
    for k, v in EXECUTE.items():
        ex.add(k, v)
    dk = Target("docker")
    for k, v in DOCKER_EXTRA.items():
        dk.add(k, v)


# ---- streams ------------------------------------------------------------------

def frame(stream, payload):
    payload = b(payload)
    return bytes([stream, 0, 0, 0]) + len(payload).to_bytes(4, "big") + payload


def record(seq, obj):
    text = b"%d %s" % (seq, json.dumps(obj, separators=(",", ":")).encode())
    mac = hmac.new(KEY, text, hashlib.sha256).hexdigest().encode()
    return b"\n\x1eIGNITE1 " + text + b" " + mac + b"\n"


def stream_targets():
    dm = Target("demux")
    dm.add("frames", b"\x00" + frame(1, "hello\n") + frame(2, "warn\n") + frame(0, "echo") + frame(1, ""))
    dm.add("frames-large-pieces", b"\x80" + frame(1, "x" * 5000) + frame(2, "y" * 10))
    dm.add("stop", b"\x40" + frame(1, "z" * 300))
    dm.add("corrupt-type", b"\x00" + frame(1, "ok") + bytes([3, 0, 0, 0, 0, 0, 0, 1]) + b"!")
    dm.add("corrupt-pad", b"\x00" + bytes([1, 0, 1, 0, 0, 0, 0, 1]) + b"!")
    dm.add("too-long", b"\x00" + bytes([2, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]))
    dm.add("partial", b"\x00" + frame(1, "abc")[:6])

    ch = Target("channel")
    start = {"t": "start", "runtime": "node", "version": "24.22.3", "pid": 1, "protocol": 1, "bootMs": 12.5}
    exit_ = {"t": "exit", "code": 0, "initMs": 3.2, "durationMs": 9.1,
             "memory": {"rss": 1, "heapUsed": 2, "heapTotal": 3}, "eventsDropped": 0}
    ev = {"t": "event", "type": "network", "action": "connect", "target": "1.2.3.4:443",
          "allowed": False, "details": "net.connect"}
    good = record(0, start) + b"service output\n" + record(1, ev) + b"partial" + record(2, exit_)
    ch.add("records", b"\x00" + good)
    ch.add("records-small-out", b"\x40" + good)
    ch.add("records-big-pieces", b"\x20" + good)
    ch.add("forged", b"\x00" + b"\n\x1eIGNITE1 0 {\"t\":\"exit\",\"code\":0} " + b"0" * 64 + b"\n" + record(0, start))
    ch.add("fake-partial-header", b"\x00" + b"text\n\x1eIGNITE1 0 {\"t\":" + record(0, start))
    ch.add("out-of-order", b"\x00" + record(1, start) + record(0, start))
    ch.add("unterminated", b"\x00" + record(0, start)[:-5])
    # Sign mode (control bit 7): 0x01 lines are signed as they stand.
    ch.add("signed", b"\x80" + b"\x010 {\"t\":\"start\"}\nplain\n\x011 {\"t\":\"exit\",\"code\":1}\n")
    ch.add("signed-odd", b"\x80" + b"\x010\n\x010 []\n\x0100 {\"t\":\"x\"}\n\x010 {\"t\":1}\n\x010 {\"t\":\"a\"} x\n")
    ch.add("formatted", b"\x80" + b"\x02{\"t\":\"start\"}\n\x02{\"t\":\"loaded\"}\n\x02{\"t\":\"exit\"}\n")


# ---- templates ----------------------------------------------------------------

PAGES = {
    "index": ["index_ctx", "index_empty"],
    "run": ["run_success", "run_truncated", "run_timeout", "run_blocked"],
    "service": ["service_ctx"],
    "login": ["login_ctx"],
    "error": ["error_ctx"],
}


def template_targets():
    tp = Target("template")
    ctxs = c_strings("tests/unit/test_pages.c")
    partials = {}
    for p in sorted(glob.glob(os.path.join(ROOT, "templates/*.html"))):
        partials[os.path.basename(p)[:-5]] = open(p, "rb").read()
    for page, names in PAGES.items():
        if page not in partials:
            continue
        parts = b"".join(b"\0" + n.encode() + b"\n" + t for n, t in partials.items()
                         if n.startswith(("layout", "preflight", "runs")))
        for n in names:
            if n in ctxs:
                tp.add(f"page-{page}-{n}", partials[page] + b"\0" + ctxs[n].encode() + parts)
    for f in sorted(glob.glob(os.path.join(ROOT, "tests/unit/fixtures/mustache/*.json"))):
        spec = json.load(open(f))
        mod = os.path.basename(f)[:-5]
        for i, t in enumerate(spec["tests"]):
            data = b(t["template"]) + b"\0" + json.dumps(t.get("data")).encode()
            for n, text in sorted(t.get("partials", {}).items()):
                data += b"\0" + n.encode() + b"\n" + b(text)
            tp.add(f"spec-{mod}-{i:02d}", data)
    tp.add("recursive-partial", b"{{#a}}[{{> self}}]{{/a}}\0{\"a\":[{\"a\":[1]},2]}")
    tp.add("delims", b"{{=<% %>=}}<%x%> <%={{ }}=%>{{{x}}}{{&x}}\0{\"x\":\"<&>\\u0000\"}")


# ---- keys and runtimes ----------------------------------------------------------

KEYS_FILE = """{
  "version": 1,
  "keys": [
    {
      "id": "c2b8af82ceb8",
      "name": "ci",
      "scope": "execute",
      "created": "2026-11-28T20:54:14.294Z",
      "revoked": false,
      "hash": "$s1$0e0801$fWLl+f86u7KvK8ePeNsMbQ==$44ZF8GuvgF5uBgBKxK+OycWpVOWD+7Hf+eLhWsj/nVaLhKstxRHC7r0HP60XIIH8RJH9403ysrhyt0ZzmY5PcA=="
    },
    {
      "id": "c16509ebe21a",
      "name": "admin.user@x",
      "scope": "admin",
      "created": "2026-11-28T20:54:14.356Z",
      "revoked": false,
      "hash": "$s1$0e0801$lbKzAXDJjf2erY8NRpYROg==$NEQ1LGJLi4ZwPXLvWHQX6WgG3xoUENZIGhmEep3OlUWH22MTZZLfNfjqwYQDiG4tr6kOfem/IHdnA+kzX/dRsw=="
    },
    {
      "id": "6da97a8d2789",
      "name": "reader",
      "scope": "read",
      "created": "2026-11-28T20:54:14.419Z",
      "revoked": "2026-11-28T20:54:20.732Z",
      "hash": "$s1$0e0801$vQdFEpFt23Yz9MTu33jVnw==$lnqodr8lVX3tIkIw6UCyvJbH6Q/lOQ3sdQwEfLctiULXG+hJFwXLBVR4uSzMxY6lGL9G7Wg/d9nbcOU7bpEEzg=="
    }
  ]
}
"""


def keys_targets():
    k = Target("keys")
    k.add("keys-file", KEYS_FILE)
    k.add("empty-set", '{"version": 1, "keys": []}')
    k.add("dup-ids", KEYS_FILE.replace("c16509ebe21a", "c2b8af82ceb8"))
    k.add("bad-mcf", KEYS_FILE.replace("$s1$0e0801$", "$s1$ff0801$"))
    k.add("token", "ign_c2b8af82ceb8_CBZw3fugc1OwXV92BwP4Gt6ZSa7i6GWcSyywy3gPrnU")
    k.add("token-dash", "ign_c16509ebe21a_5YqFeQfp2JiJVmIYmcYmK6s1eQeQ4VF-mLwODboH9CI")
    k.add("token-noncanonical", "ign_c2b8af82ceb8_CBZw3fugc1OwXV92BwP4Gt6ZSa7i6GWcSyywy3gPrnV")
    k.add("scope", "execute")

    rt = Target("runtime")
    real = rd("runtimes/runtimes.json")
    rt.add("runtimes.json", real + b"\0node\nnode@24\nnode@v22.23\nbun@1.4.5\ndeno\nnode@18\npython")
    rt.add("runtimes-basic", rd("tests/unit/fixtures/runtimes-basic.json") + b"\0node@20\nnode@24.22.3")
    rt.add("tiny", '{"runtimes":[{"name":"x","defaultVersion":"1","extensions":[".js"],"image":"i:{version}",'
                   '"command":["/x"],"versions":[{"version":"1.0","image":"j:{version}{version}",'
                   '"extensions":[".ts"],"typescript":true}]}]}\0x\nx@1\nx@1.0.0\nx@v1')
    rt.add("specs-only", '{"runtimes":[]}\0node@24.22.3.1.2\nnode@-1\nnode@24..3\n@\nnode@@24')


def main():
    yaml_targets()
    json_targets()
    stream_targets()
    template_targets()
    keys_targets()
    for d in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, d))
        size = sum(os.path.getsize(os.path.join(CORPUS, d, f)) for f in files)
        print(f"{d}: {len(files)} files, {size} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
