"""Runtime images and launcher protocol v1, against the real Docker engine.

Run:  /usr/bin/python3 -m pytest -q tests/runtimes/test_images.py
(`make runtimes` is run first by the session fixture; it is quick when the
images are up to date.)  IGNITE_RUNTIMES=node@24,deno limits the images.

Every container is started the way the execution engine starts it: the argv
is built from runtimes/runtimes.json with the algorithm runtimes/README.md
documents (build_cmd below is that algorithm), the hardening flags of audit
mode are on, and the request line goes to stdin. Records on stderr are parsed
and their HMACs recomputed here, as the host does.
"""

import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC = json.load(open(os.path.join(ROOT, "runtimes", "runtimes.json")))
RECORD = re.compile(rb"\n\x1eIGNITE1 ([0-9]+) ([^\n]*) ([0-9a-f]{64})\n")
HARDENING = [
    "--network", "none", "--read-only", "--cap-drop", "ALL",
    "--security-opt", "no-new-privileges", "--user", "10001:10001",
    "--tmpfs", "/tmp:rw,noexec,nosuid,nodev,size=16m", "--pids-limit", "64",
    "--memory", "256m", "-w", "/app",
]


def images():
    want = os.environ.get("IGNITE_RUNTIMES")
    out = []
    for rt in SPEC["runtimes"]:
        for v in rt["versions"]:
            ver = v["version"]
            if want:
                ok = False
                for w in want.split(","):
                    name, _, pre = w.partition("@")
                    if name == rt["name"] and (not pre or ver == pre or ver.startswith(pre + ".")):
                        ok = True
                if not ok:
                    continue
            out.append((rt, v))
    return out


IMAGES = images()
IDS = [f"{rt['name']}@{v['version']}" for rt, v in IMAGES]


@pytest.fixture(scope="session", autouse=True)
def built_images():
    if shutil.which("docker") is None:
        pytest.skip("docker CLI not installed")
    r = subprocess.run(["docker", "version"], capture_output=True)
    if r.returncode != 0:
        pytest.skip("Docker engine not reachable")
    r = subprocess.run([os.path.join(ROOT, "runtimes", "build.sh")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr + r.stdout


def policy(network=False, fs_writable=False, spawn=False, commands=()):
    return {"network": network, "fsWritable": fs_writable, "allowSpawn": spawn, "allowedCommands": list(commands)}


DEFAULT = policy()


def build_cmd(rt, ver, pol, entry):
    """The container Cmd for runtime rt, version entry ver, policy pol, entry
    file (relative to the service directory) — as runtimes/README.md says."""
    def pick(frag):
        out = list(frag.get("base", []))
        out += frag.get("networkAllowed" if pol["network"] else "networkDenied", [])
        out += frag.get("fsWritable" if pol["fsWritable"] else "fsReadOnly", [])
        if not pol["allowSpawn"]:
            key = "spawnDenied"
        elif pol["allowedCommands"]:
            key = "spawnAllowedCommands"
        else:
            key = "spawnAllowed"
        joined = ",".join(pol["allowedCommands"])
        out += [a.replace("{commands}", joined) for a in frag.get(key, [])]
        return out

    args = dict(rt["args"])
    args.update(ver.get("args", {}))
    launcher_args = dict(rt["launcherArgs"])
    launcher_args.update(ver.get("launcherArgs", {}))
    cmd = rt["command"]
    at = rt["argsAt"]
    return (cmd[:at] + pick(args) + cmd[at:] + pick(launcher_args) +
            [rt["entryArg"].replace("{entry}", entry)])


def verify_records(stderr, key):
    """Returns (records, rest): the records with a valid HMAC in order, and
    stderr with every record (valid or not) cut out. Asserts nothing forged
    passes: a record with a bad HMAC is returned in rest-marker form."""
    records, bad = [], []
    rest = bytearray()
    pos = 0
    for m in RECORD.finditer(stderr):
        rest += stderr[pos:m.start()]
        pos = m.end()
        payload = m.group(1) + b" " + m.group(2)
        want = hmac.new(key.encode(), payload, hashlib.sha256).hexdigest().encode()
        if hmac.compare_digest(want, m.group(3)):
            records.append((int(m.group(1)), json.loads(m.group(2))))
        else:
            bad.append(m.group(0))
    rest += stderr[pos:]
    return records, bytes(rest), bad


class Run:
    def __init__(self, proc, key):
        self.key = key
        self.code = proc.returncode
        self.stdout = proc.stdout.decode("utf-8", "replace")
        self.raw_stderr = proc.stderr
        recs, rest, bad = verify_records(proc.stderr, key)
        self.records = [r for _, r in recs]
        self.seqs = [s for s, _ in recs]
        self.stderr = rest.decode("utf-8", "replace")
        self.forged = bad

    def of(self, t):
        return [r for r in self.records if r["t"] == t]

    def events(self, type_=None):
        return [r for r in self.of("event") if type_ is None or r["type"] == type_]

    def lines(self):
        return [json.loads(l) for l in self.stdout.split("\n") if l.startswith("{")]

    def __repr__(self):
        return f"<exit {self.code}\nstdout:\n{self.stdout}\nstderr:\n{self.raw_stderr!r}>"


@pytest.fixture
def service():
    d = tempfile.mkdtemp(prefix="ignite-rt-")
    os.chmod(d, 0o755)

    def write(name, text):
        p = os.path.join(d, name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, 0o644)
        return d

    yield write
    shutil.rmtree(d, ignore_errors=True)


def run(rt, ver, svc_dir, entry, pol=DEFAULT, input_=None, stdin=None, request=None, key=None, timeout=60):
    key = key or secrets.token_hex(32)
    if request is None:
        req = {"v": 1, "key": key, "input": input_}
        if stdin is not None:
            req["stdin"] = stdin
        request = (json.dumps(req, separators=(",", ":")) + "\n").encode()
    image = rt["image"].replace("{version}", ver["version"])
    argv = ["docker", "run", "--rm", "-i", *HARDENING, "-v", f"{svc_dir}:/app:ro", image,
            *build_cmd(rt, ver, pol, entry)]
    proc = subprocess.run(argv, input=request, capture_output=True, timeout=timeout)
    return Run(proc, key)


def ts_ok(rt, ver):
    return ver.get("typescript", False)


def entry_name(rt, ver, base):
    return base + (".ts" if ts_ok(rt, ver) else ".mjs")


def check_protocol(r, rt, ver, code):
    """The record stream every run must produce."""
    assert r.forged == [], r
    assert r.seqs == list(range(len(r.seqs))), r
    assert r.records, r
    start = r.records[0]
    assert start["t"] == "start" and start["runtime"] == rt["name"] and start["version"] == ver["version"], r
    assert isinstance(start["pid"], int)
    last = r.records[-1]
    assert last["t"] == "exit" and last["code"] == code, r
    assert isinstance(last["durationMs"], (int, float))
    assert r.code == code, r


HELLO = """
const input = JSON.parse(process.env.IGNITE_INPUT ?? "null");
console.log(JSON.stringify({ got: input, argv1: process.argv[1] }));
"""

HELLO_TS = """
interface Input { name?: string; n?: number }
const input: Input = JSON.parse(process.env.IGNITE_INPUT ?? "null");
console.log(JSON.stringify({ got: input, argv1: process.argv[1] }));
"""


@pytest.mark.parametrize("rt,ver", IMAGES, ids=IDS)
def test_hello_typescript_and_records(rt, ver, service):
    entry = entry_name(rt, ver, "index")
    d = service(entry, HELLO_TS if entry.endswith(".ts") else HELLO)
    inp = {"name": "Ada", "n": [1, 2.5, None], "u": "é\u2028😀"}
    r = run(rt, ver, d, entry, input_=inp)
    check_protocol(r, rt, ver, 0)
    assert r.lines() == [{"got": inp, "argv1": "/app/" + entry}], r
    loaded = r.of("loaded")
    assert len(loaded) == 1 and loaded[0]["initMs"] >= 0, r
    ex = r.of("exit")[-1]
    assert ex["initMs"] == loaded[0]["initMs"]
    assert ex["memory"]["rss"] > 1_000_000 and ex["memory"]["heapUsed"] > 0, r
    assert r.stderr == "", r


@pytest.mark.parametrize("rt,ver", [(rt, v) for rt, v in IMAGES if not v.get("typescript")],
                         ids=[f"{rt['name']}@{v['version']}" for rt, v in IMAGES if not v.get("typescript")])
def test_typescript_refused_where_unsupported(rt, ver, service):
    d = service("index.ts", HELLO_TS)
    assert ".ts" not in ver.get("extensions", rt["extensions"])
    r = run(rt, ver, d, "index.ts", input_={})
    check_protocol(r, rt, ver, 1)
    assert "ERR_UNKNOWN_FILE_EXTENSION" in r.stderr, r


PROBE = r"""
import fs from "node:fs";
import cp from "node:child_process";
const out = {};
const t = (k, f) => { try { const v = f(); out[k] = { ok: true, v: String(v ?? "").trim().slice(0, 80) }; }
                      catch (e) { out[k] = { ok: false, code: String(e.code ?? e.name) }; } };
const self = process.execPath;
const name = globalThis.Deno ? "deno" : globalThis.Bun ? "bun" : "node";
t("shell", () => cp.execSync("ls"));
t("self", () => cp.execFileSync(self, ["--version"]));
t("byName", () => cp.execFileSync(name, ["--version"]));
t("pathTrick", () => cp.execFileSync(name, ["--version"], { env: { PATH: "/app" } }));
t("appBinary", () => cp.execFileSync("/app/" + name, ["--version"]));
if (globalThis.Deno) t("native", () => new TextDecoder().decode(new Deno.Command(self, { args: ["--version"] }).outputSync().stdout));
if (globalThis.Bun) t("native", () => String(Bun.spawnSync([self, "--version"]).stdout));
t("writeApp", () => fs.writeFileSync("/app/x", "a"));
t("writeRoot", () => fs.writeFileSync("/x", "a"));
t("writeTmp", () => { fs.writeFileSync("/tmp/x", "a"); return fs.readFileSync("/tmp/x", "utf8"); });
try { await fetch("http://1.1.1.1/"); out.fetch = { ok: true }; } catch (e) { out.fetch = { ok: false }; }
try { await (await import("node:dns")).promises.lookup("example.com"); out.dns = { ok: true }; } catch (e) { out.dns = { ok: false }; }
console.log(JSON.stringify(out));
"""


def probe(rt, ver, service, pol):
    d = service("probe.mjs", PROBE)
    r = run(rt, ver, d, "probe.mjs", pol=pol, input_={})
    check_protocol(r, rt, ver, 0)
    (out,) = r.lines()
    return r, out


def spawn_events(r):
    return [(e["target"], e["allowed"]) for e in r.events("process")]


@pytest.mark.parametrize("rt,ver", IMAGES, ids=IDS)
def test_audit_defaults_block_and_report(rt, ver, service):
    r, out = probe(rt, ver, service, DEFAULT)
    for k in ("shell", "self", "byName", "pathTrick", "appBinary", "native", "writeApp", "writeRoot", "fetch", "dns"):
        if k in out:
            assert out[k]["ok"] is False, (k, r)
    assert out["writeTmp"] == {"ok": True, "v": "a"}, r
    # Every spawn attempt is reported, refused.
    procs = spawn_events(r)
    assert len(procs) >= 3 and all(a is False for _, a in procs), r
    assert any(t.endswith("--version") for t, _ in procs)
    writes = {e["target"]: e["allowed"] for e in r.events("filesystem")}
    assert writes.get("/app/x") is False and writes.get("/x") is False, r
    assert "/tmp/x" not in writes
    net = r.events("network")
    assert any(e["action"] == "connect" and "1.1.1.1" in e["target"] and e["allowed"] is False for e in net), r
    assert any(e["action"] == "dns" and e["target"] == "example.com" for e in net), r
    assert sum(1 for e in net if e["action"] == "connect") == 1, "one fetch, one connect event"


@pytest.mark.parametrize("rt,ver", IMAGES, ids=IDS)
def test_spawn_allowed(rt, ver, service):
    r, out = probe(rt, ver, service, policy(spawn=True))
    assert out["self"]["ok"] is True and ver["version"] in out["self"]["v"], r
    assert out["byName"]["ok"] is True, r
    if "native" in out:
        assert out["native"]["ok"] is True, r
    # There is no shell in the image: the permission layer lets it through,
    # the image content stops it.
    assert out["shell"] == {"ok": False, "code": "ENOENT"}, r
    assert all(a is True for _, a in spawn_events(r)), r


@pytest.mark.parametrize("rt,ver", IMAGES, ids=IDS)
def test_allowed_commands(rt, ver, service):
    r, out = probe(rt, ver, service, policy(spawn=True, commands=[rt["name"]]))
    assert out["self"]["ok"] is True, r
    assert out["byName"]["ok"] is True, r
    # A listed name always runs the image's program, never one the service
    # brings along or finds through a PATH it chose.
    assert out["pathTrick"]["ok"] is True and ver["version"] in out["pathTrick"]["v"], r
    assert out["appBinary"] == {"ok": False, "code": "ERR_ACCESS_DENIED"}, r
    assert out["shell"]["ok"] is False, r
    assert ("ls", False) in spawn_events(r), r

    r, out = probe(rt, ver, service, policy(spawn=True, commands=["ls"]))
    for k in ("self", "byName", "native"):
        if k in out:
            assert out[k]["ok"] is False, (k, r)
    assert all(a is False for _, a in spawn_events(r) if "--version" in _), r


@pytest.mark.parametrize("rt,ver", IMAGES, ids=IDS)
def test_uncaught_error_exit_record(rt, ver, service):
    d = service("boom.mjs", 'console.log("before");\nthrow new Error("boom-from-service");\n')
    r = run(rt, ver, d, "boom.mjs", input_={})
    check_protocol(r, rt, ver, 1)
    assert "boom-from-service" in r.stderr, r
    assert r.of("loaded") == [] and r.of("exit")[-1]["initMs"] is None, r


@pytest.mark.parametrize("rt,ver", IMAGES, ids=IDS)
def test_async_error_and_exit_codes(rt, ver, service):
    d = service("later.mjs", 'setTimeout(() => { throw new Error("late-boom"); }, 10);\n')
    r = run(rt, ver, d, "later.mjs", input_={})
    check_protocol(r, rt, ver, 1)
    assert "late-boom" in r.stderr and len(r.of("loaded")) == 1, r

    d = service("exit3.mjs", 'process.stderr.write("partial line without newline");\nprocess.exit(3);\n')
    r = run(rt, ver, d, "exit3.mjs", input_={})
    check_protocol(r, rt, ver, 3)
    assert r.stderr == "partial line without newline", r

    d = service("code.mjs", 'process.exitCode = 4;\n')
    r = run(rt, ver, d, "code.mjs", input_={})
    check_protocol(r, rt, ver, 4)


@pytest.mark.parametrize("rt,ver", IMAGES, ids=IDS)
def test_stdin_text_reaches_service(rt, ver, service):
    d = service("stdin.mjs", """
import fs from "node:fs";
let s = "";
for await (const c of process.stdin) s += c;
let native = fs.readFileSync(0, "utf8");
if (globalThis.Bun) native = await Bun.stdin.text();
if (globalThis.Deno) native = await new Response(Deno.stdin.readable).text();
console.log(JSON.stringify({ stdin: s, native }));
""")
    text = "line one\nline two ✓"
    r = run(rt, ver, d, "stdin.mjs", input_={}, stdin=text)
    check_protocol(r, rt, ver, 0)
    assert r.lines() == [{"stdin": text, "native": text}], r
    r = run(rt, ver, d, "stdin.mjs", input_={})
    check_protocol(r, rt, ver, 0)
    assert r.lines() == [{"stdin": "", "native": ""}], r


@pytest.mark.parametrize("rt,ver", IMAGES, ids=IDS)
def test_forged_records_do_not_verify(rt, ver, service):
    d = service("forge.mjs", r"""
const fake = '\n\x1eIGNITE1 2 {"t":"exit","code":0,"initMs":1,"durationMs":1,"memory":null} ' + "ab".repeat(32) + '\n';
process.stderr.write(fake);
process.exitCode = 7;
""")
    r = run(rt, ver, d, "forge.mjs", input_={})
    assert len(r.forged) == 1, r
    assert r.seqs == list(range(len(r.seqs))), r
    assert r.records[-1]["t"] == "exit" and r.records[-1]["code"] == 7, r
    assert r.code == 7


@pytest.mark.parametrize("rt,ver", IMAGES, ids=IDS)
def test_bad_requests(rt, ver, service):
    d = service("index.mjs", HELLO)
    key = secrets.token_hex(32)
    big = {"v": 1, "key": key, "input": "x" * (2 * 1024 * 1024 + 70 * 1024)}
    r = run(rt, ver, d, "index.mjs", request=json.dumps(big).encode(), key=key)
    assert r.code == 125, r
    errs = r.of("error")
    assert errs and errs[0]["code"] == "input-too-large", r
    assert r.records[-1]["t"] == "exit" and r.records[-1]["code"] == 125
    assert r.stdout == ""

    r = run(rt, ver, d, "index.mjs", request=b'{"key":"%s","v":1,"input":1}\n' % key.encode(), key=key)
    assert r.code == 125 and r.records == [] and "ignite-launcher:" in r.stderr, r

    r = run(rt, ver, d, "index.mjs", request=b"", key=key)
    assert r.code == 125 and r.stdout == "", r

    # Just under the limit goes through.
    ok = {"v": 1, "key": key, "input": "y" * (2 * 1024 * 1024 - 100)}
    d2 = service("len.mjs", 'console.log(JSON.stringify({ n: JSON.parse(process.env.IGNITE_INPUT).length }));\n')
    r = run(rt, ver, d2, "len.mjs", request=json.dumps(ok).encode(), key=key)
    check_protocol(r, rt, ver, 0)
    assert r.lines() == [{"n": 2 * 1024 * 1024 - 100}], r


KEY_HUNT = r"""
import fs from "node:fs";
const found = new Set();
const scan = (s) => { for (const m of String(s).matchAll(/[0-9a-f]{64}/g)) found.add(m[0]); };
scan(JSON.stringify(process.env)); scan(process.argv.join(" "));
try { scan(fs.readFileSync("/proc/self/cmdline", "latin1")); } catch {}
try { scan(fs.readFileSync("/proc/self/environ", "latin1")); } catch {}
try { scan(fs.readFileSync(0, "latin1")); } catch {}
let snap = "unavailable";
try {
  const v8 = await import("node:v8");
  if (typeof v8.getHeapSnapshot === "function") {
    let text = "";
    for await (const c of v8.getHeapSnapshot()) text += c;
    scan(text); snap = text.length;
  }
} catch (e) { snap = "error " + e.message; }
if (globalThis.Bun && typeof Bun.generateHeapSnapshot === "function") {
  try { scan(JSON.stringify(Bun.generateHeapSnapshot())); snap = "bun"; } catch {}
}
console.log(JSON.stringify({ found: [...found], snap }));
"""


@pytest.mark.parametrize("rt,ver", IMAGES, ids=IDS)
def test_key_never_reachable(rt, ver, service):
    d = service("hunt.mjs", KEY_HUNT)
    r = run(rt, ver, d, "hunt.mjs", input_={"ok": True})
    check_protocol(r, rt, ver, 0)
    (out,) = r.lines()
    assert out["snap"] != "unavailable" or rt["name"] == "deno", out
    assert r.key not in out["found"], "the service found the HMAC key"


SELF_ACCESS = r"""
import fs from "node:fs";
const out = {};
for (const p of ["/proc/self/fd/2", "/proc/self/mem", "/proc/1/mem", "/proc/self/status"]) {
  try { fs.closeSync(fs.openSync(p, "r")); out[p] = "open"; } catch (e) { out[p] = String(e.code ?? e.name); }
}
console.log(JSON.stringify(out));
"""


@pytest.mark.parametrize("rt,ver", IMAGES, ids=IDS)
def test_records_and_memory_out_of_reach(rt, ver, service):
    """Re-opening stderr for reading (to steal records) or reading the
    launcher's memory is refused where the runtime can refuse it: node's read
    list and deno's permissions. bun has no permission model (documented)."""
    d = service("self.mjs", SELF_ACCESS)
    r = run(rt, ver, d, "self.mjs", input_={})
    check_protocol(r, rt, ver, 0)
    (out,) = r.lines()
    if rt["name"] == "bun":
        pytest.skip("bun: no permission model; " + json.dumps(out))
    for p in ("/proc/self/fd/2", "/proc/self/mem", "/proc/1/mem"):
        assert out[p] != "open", (p, out)
    if rt["name"] == "node":
        assert out["/proc/self/status"] == "open", out
