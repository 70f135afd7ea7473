"""The adversarial corpus through the HTTP API: every hostile service of
tests/hostile/ and tests/http/hostile-extra/ (and service directories full of
symlinks to host files, built here) is run with POST
/api/services/{name}/execute through nginx against the real Docker engine.

Each test checks both halves of the promise:
- the containment: the attack failed, as the service itself saw it (the one
  JSON line it prints) and as the host sees it (files unchanged, host
  processes alive, nothing readable);
- the report: the right events with the right source ("engine" facts,
  "launcher" records, "output" hints) and the right summary counts.

For every run, `run()` also checks that GET /api/runs/{id} returns the same
report, that the HTML page /runs/{id} renders it, that no container of the
run remains, and that no host content (the host's password and shadow
lines, a canary file beside the services directory, the keys file, an
environment variable only the daemon has) appears in any of those bodies.

The stack here is one of its own (tests/http/harness.py's Stack) over a
services directory built from those fixtures; its daemon inherits an
environment variable that no container may ever see.
"""
import html
import json
import os
import re
import secrets
import shutil
import time
import urllib.parse
from pathlib import Path

import pytest

from harness import SHARED_ARGS, ROOT, Stack, UnixHTTPConnection, docker_socket_path, login

HOSTILE = ROOT / "tests" / "hostile"
EXTRA = Path(__file__).resolve().parent / "hostile-extra"
RUN_ID = re.compile(r"[0-9a-f]{32}")
ENV_CANARY_NAME = "IGNITE_HOSTILE_ENV_CANARY"
# Services that also run on the other runtime families, as <name>-bun / <name>-deno.
VARIANTS = ["net-probe", "net-extra", "fs-write", "spawn-denied", "forged-records", "host-read"]
FAMILIES = {"bun": "bun@1", "deno": "deno@2"}


# ---- host content that must never appear ------------------------------------------

def _lines(path):
    try:
        with open(path, errors="replace") as f:
            return [l.strip() for l in f if len(l.strip()) > 8]
    except OSError:
        return []


class HostContent:
    """Strings that exist only on the host. Assertion messages name the
    marker by its label, never by its value (shadow hashes stay out of
    logs)."""

    def __init__(self, canary_text, env_canary, keys_path, key_tokens):
        self.markers = []
        passwd = _lines("/etc/passwd")
        # The container's own /etc/passwd has root:x:0:0:root:/nonexistent:…;
        # the host's lines differ from it.
        for i, l in enumerate(passwd):
            self.markers.append((f"host /etc/passwd line {i + 1}", l))
        for i, l in enumerate(_lines("/etc/shadow")):
            self.markers.append((f"host /etc/shadow line {i + 1}", l))
            name, _, rest = l.partition(":")
            hash_ = rest.split(":", 1)[0]
            if len(hash_) > 8:
                self.markers.append((f"host /etc/shadow hash of line {i + 1}", hash_))
        self.markers.append(("canary file", canary_text.strip()))
        self.markers.append(("daemon environment canary", env_canary))
        for i, l in enumerate(_lines(keys_path)):
            for part in re.findall(r"\$[A-Za-z0-9$./+=_-]{20,}", l):
                self.markers.append((f"keys file line {i + 1}", part))
        for name, tok in key_tokens.items():
            self.markers.append((f"API key secret {name}", tok.split("_", 2)[2]))

    def leaks(self, text, strict_root=False):
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        texts = (text, html.unescape(text))
        found = [label for label, m in self.markers if any(m in t for t in texts)]
        if strict_root and any("root:" in t for t in texts):
            found.append('"root:"')
        return found

    def check(self, where, text, strict_root=False):
        found = self.leaks(text, strict_root)
        assert not found, f"host content in {where}: {found}"


# ---- engine ------------------------------------------------------------------------

def engine_get(url, timeout=30):
    conn = UnixHTTPConnection(docker_socket_path(), timeout=timeout)
    try:
        conn.request("GET", url)
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    return resp.status, raw


def containers_with(*labels, name=None):
    f = {"label": list(labels)}
    if name is not None:
        f["name"] = [name]
    status, raw = engine_get("/containers/json?all=1&filters=" + urllib.parse.quote(json.dumps(f)))
    assert status == 200, (status, raw[:300])
    return json.loads(raw)


def containers_of_run(run_id):
    """The run's containers: labelled with its id (cold) or renamed
    ignite-<id> (taken from the warm pool)."""
    return (containers_with("ignite.managed=1", f"ignite.run={run_id}")
            + containers_with("ignite.managed=1", name=f"ignite-{run_id}"))


def container_events(since, service):
    """Container events of the engine since `since` (epoch seconds) for
    containers labelled ignite.service=<service>."""
    until = time.time() + 1
    filters = json.dumps({"type": ["container"], "label": [f"ignite.service={service}"]})
    status, raw = engine_get(f"/events?since={since:.3f}&until={until:.3f}&filters="
                             + urllib.parse.quote(filters), timeout=15)
    assert status == 200, (status, raw[:300])
    return [json.loads(l) for l in raw.decode().splitlines() if l.strip()]


# ---- services ----------------------------------------------------------------------

def copy_service(src, dst, name=None, runtime=None):
    shutil.copytree(src, dst, symlinks=True)
    for dirpath, _dirnames, filenames in os.walk(dst):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p):
                os.chmod(p, 0o644)
    if name or runtime:
        y = (dst / "service.yaml").read_text()
        if name:
            y = re.sub(r"(?m)^(\s+name:\s*)\S+", lambda m: m.group(1) + name, y, count=1)
        if runtime:
            y = re.sub(r"(?m)^(\s+runtime:\s*)\S+", lambda m: m.group(1) + runtime, y, count=1)
        (dst / "service.yaml").write_text(y)


PLAIN_ENTRY = "console.log('SYMLINKED SERVICE RAN');\n"


def plain_service(d, name, entry="index.mjs"):
    d.mkdir(parents=True)
    os.chmod(d, 0o755)
    (d / "service.yaml").write_text(
        f"service:\n  name: {name}\n  runtime: node@24\n  entry: {entry}\n  memoryMb: 128\n  timeoutMs: 5000\n")
    return d


def symlink_services(root, canary, outside_svc):
    """Service directories that reach for host files through symlinks.
    Returns {name: what it holds}."""
    made = {}

    def svc(name, what):
        made[name] = what
        return plain_service(root / name, name)

    d = svc("sym-entry-shadow", "entry index.mjs -> /etc/shadow")
    os.symlink("/etc/shadow", d / "index.mjs")
    d = svc("sym-entry-passwd", "entry index.mjs -> /etc/passwd")
    os.symlink("/etc/passwd", d / "index.mjs")
    d = svc("sym-entry-relative", "entry index.mjs -> ../../<canary> (relative escape)")
    os.symlink(os.path.relpath(canary, d), d / "index.mjs")
    d = svc("sym-entry-proc", "entry index.mjs -> /proc/self/environ (the daemon's own)")
    os.symlink("/proc/self/environ", d / "index.mjs")
    d = svc("sym-package", "package.json -> /etc/passwd")
    (d / "index.mjs").write_text(PLAIN_ENTRY)
    os.symlink("/etc/passwd", d / "package.json")
    d = svc("sym-lock", "ignite.lock -> /etc/shadow")
    (d / "index.mjs").write_text(PLAIN_ENTRY)
    os.symlink("/etc/shadow", d / "ignite.lock")
    d = svc("sym-policy", "ignite.policy.yaml -> <canary> (YAML that would be echoed)")
    (d / "index.mjs").write_text(PLAIN_ENTRY)
    os.symlink(canary, d / "ignite.policy.yaml")
    d = svc("sym-nm-files", "node_modules/evil/{package.json,index.js} -> /etc/passwd, /etc/shadow")
    (d / "index.mjs").write_text(PLAIN_ENTRY)
    (d / "node_modules" / "evil").mkdir(parents=True)
    os.symlink("/etc/passwd", d / "node_modules" / "evil" / "package.json")
    os.symlink("/etc/shadow", d / "node_modules" / "evil" / "index.js")
    d = svc("sym-nm-dir", "node_modules/hostetc -> /etc")
    (d / "index.mjs").write_text(PLAIN_ENTRY)
    (d / "node_modules").mkdir()
    os.symlink("/etc", d / "node_modules" / "hostetc")
    d = svc("sym-nm-scoped", "node_modules/@scope/pkg -> ../../../../ (the services directory)")
    (d / "index.mjs").write_text(PLAIN_ENTRY)
    (d / "node_modules" / "@scope").mkdir(parents=True)
    os.symlink("../../../../", d / "node_modules" / "@scope" / "pkg")
    d = svc("sym-nm-deep", "node_modules/d/d/…(70 levels)/leak -> /etc/shadow")
    (d / "index.mjs").write_text(PLAIN_ENTRY)
    deep = d / "node_modules"
    for _ in range(70):
        deep = deep / "d"
    deep.mkdir(parents=True)
    os.symlink("/etc/shadow", deep / "leak")
    d = svc("sym-nm-longpath", "node_modules/<250 chars>/…(18 levels, path > 4096)/leak -> /etc/shadow")
    (d / "index.mjs").write_text(PLAIN_ENTRY)
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in ["node_modules"] + ["L" * 250] * 18:
            os.mkdir(part, 0o755, dir_fd=fd)
            nfd = os.open(part, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = nfd
        os.symlink("/etc/shadow", "leak", dir_fd=fd)
    finally:
        os.close(fd)
    # service.yaml itself from outside: a canary whose one key, were it
    # parsed, would be named in the error.
    d = root / "sym-yaml"
    d.mkdir()
    os.chmod(d, 0o755)
    (d / "index.mjs").write_text(PLAIN_ENTRY)
    os.symlink(canary, d / "service.yaml")
    made["sym-yaml"] = "service.yaml -> <canary>"
    # The service directory itself is a symlink to a valid service outside.
    os.symlink(outside_svc, root / "sym-dir")
    made["sym-dir"] = "the directory sym-dir -> a valid service outside the services directory"
    return made


@pytest.fixture(scope="module")
def canary(workdir):
    """A file beside the services directory; its one line is YAML whose key
    any parser error would name."""
    token = secrets.token_hex(12)
    p = workdir / f"canary-{token[:8]}"
    p.write_text(f"ignite_canary_{token}: 1\n")
    os.chmod(p, 0o644)
    return p


@pytest.fixture(scope="module")
def hostile_dir(workdir, canary):
    root = workdir / "hostile-services"
    root.mkdir()
    os.chmod(root, 0o755)
    names = []
    for base in (HOSTILE, EXTRA):
        for src in sorted(base.iterdir()):
            if (src / "service.yaml").is_file():
                copy_service(src, root / src.name)
                names.append(src.name)
    for name in VARIANTS:
        src = HOSTILE / name if (HOSTILE / name).is_dir() else EXTRA / name
        for fam, rt in FAMILIES.items():
            copy_service(src, root / f"{name}-{fam}", name=f"{name}-{fam}", runtime=rt)
    outside_svc = workdir / "sym-dir-target"
    plain_service(outside_svc, "sym-dir")
    (outside_svc / "index.mjs").write_text(PLAIN_ENTRY)
    symlinks = symlink_services(root, canary, outside_svc)
    return {"root": root, "names": names, "symlinks": symlinks}


@pytest.fixture(scope="module")
def env_canary():
    return secrets.token_hex(16)


@pytest.fixture(scope="module")
def hstack(servers, workdir, hostile_dir, keys, env_canary):
    """A stack of its own over the hostile services; its daemon carries an
    environment variable no container may see."""
    old = os.environ.get(ENV_CANARY_NAME)
    os.environ[ENV_CANARY_NAME] = env_canary
    try:
        s = Stack("hostile", workdir, hostile_dir["root"], keys.path, SHARED_ARGS,
                  owner=servers["stacks"]).start()
    finally:
        if old is None:
            os.environ.pop(ENV_CANARY_NAME, None)
        else:
            os.environ[ENV_CANARY_NAME] = old
    return s


@pytest.fixture(scope="module")
def host(canary, env_canary, keys):
    return HostContent(canary.read_text(), env_canary, keys.path, keys.tokens)


@pytest.fixture(scope="module")
def cookie(hstack, keys):
    return login(hstack, keys.read)


# ---- one run through the API --------------------------------------------------------

class Run:
    def __init__(self, name, resp, stored, page):
        self.name = name
        self.resp = resp
        self.report = resp.json()
        self.stored = stored
        self.page = page

    @property
    def status(self):
        return self.report.get("status")

    @property
    def metrics(self):
        return self.report.get("metrics") or {}

    @property
    def audit(self):
        return self.report.get("securityAudit") or {}

    @property
    def summary(self):
        return self.audit.get("summary") or {}

    @property
    def events(self):
        return self.audit.get("events") or []

    def events_where(self, **kw):
        return [e for e in self.events if all(e.get(k) == v for k, v in kw.items())]

    def output(self):
        for line in self.metrics.get("stdout", "").splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except ValueError:
                    continue
        raise AssertionError(f"the service printed no JSON line\n{self}")

    def __str__(self):
        r = self.report
        m = dict(self.metrics)
        for k in ("stdout", "stderr"):
            if isinstance(m.get(k), str) and len(m[k]) > 1500:
                m[k] = m[k][:1500] + f"... ({len(m[k])} chars)"
        ex = {"http": self.resp.status, "status": r.get("status"), "success": r.get("success"),
              "error": r.get("error"), "limits": r.get("limits"), "metrics": m,
              "summary": self.summary, "events": self.events[:40]}
        return f"POST /api/services/{self.name}/execute\n{json.dumps(ex, indent=1)}"


# The fields both the execute answer and the stored report carry.
SAME = ("runId", "serviceName", "status", "success", "metrics", "securityAudit", "preflight",
        "limits", "runtime", "error")


@pytest.fixture(scope="module")
def run(hstack, keys, host, engine):
    def do(name, input=None, expect_http=200, timeout=180):
        resp = hstack.execute(name, {"input": {} if input is None else input}, key=keys.execute,
                              timeout=timeout)
        report = resp.json()
        assert resp.status == expect_http, f"{name}: HTTP {resp.status}: " + json.dumps(
            {k: report.get(k) for k in ("status", "error", "preflight", "metrics")})[:3000]
        run_id = report.get("runId")
        assert isinstance(run_id, str) and RUN_ID.fullmatch(run_id), report
        assert report.get("reportUrl") in (None, f"/runs/{run_id}"), report
        host.check(f"the execute answer of {name}", resp.body)
        # The stored report says the same.
        stored = hstack.get(f"/api/runs/{run_id}", key=keys.read)
        assert stored.status == 200, stored
        host.check(f"GET /api/runs/{run_id} ({name})", stored.body)
        doc = stored.json()
        for k in SAME:
            assert doc.get(k) == report.get(k), f"{name}: GET /api/runs/{run_id} differs in {k!r}"
        # The page renders it, escaped, without host content.
        page = hstack.get(f"/runs/{run_id}")
        assert page.status == 200 and page.header("Content-Type", "").startswith("text/html"), page
        host.check(f"the page /runs/{run_id} ({name})", page.body)
        assert "<script" not in page.text.lower(), f"{name}: a <script> element in the page"
        # Nothing of the run is left in the engine.
        # (removed after the answer: give the reaper a moment)
        deadline = time.monotonic() + 15
        while (left := containers_of_run(run_id)) and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        assert not left, f"{name}: run {run_id} left containers: {[c['Id'][:12] for c in left]}"
        return Run(name, resp, stored, page)
    return do


def spawn_events(run, allowed=None):
    return [e for e in run.events if e.get("type") == "process" and e.get("action") == "spawn"
            and e.get("source") == "launcher" and (allowed is None or e.get("allowed") is allowed)]


def refused(code):
    return code in ("ERR_ACCESS_DENIED", "NotCapable", "PermissionDenied")


def tree(path):
    out = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), path) + "/"] = None
        for f in filenames:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, path)] = fh.read()
    return out


def assert_counts_match_events(run):
    """The summary counts are the evidence events (engine + launcher),
    never the output hints; bySource counts every event."""
    ev = [e for e in run.events if e.get("source") != "output"]
    s = run.summary
    if s.get("eventsDropped", 0) == 0:
        net = [e for e in ev if e["type"] == "network"]
        assert s["networkAttempts"] == len(net), str(run)
        assert s["networkBlocked"] == sum(1 for e in net if e["allowed"] is False), str(run)
        spawns = [e for e in ev if e["type"] == "process" and e["action"] == "spawn"]
        assert s["processSpawns"] == len(spawns), str(run)
        assert s["processBlocked"] == sum(1 for e in spawns if e["allowed"] is False), str(run)
        by = s["bySource"]
        for src in ("engine", "launcher", "output"):
            assert by[src] == sum(1 for e in run.events if e.get("source") == src), (src, str(run))


# ==== the corpus ======================================================================

def test_every_hostile_service_is_served(hstack, keys, hostile_dir):
    """The whole corpus is listed by GET /api/services (each test below runs
    one of them), and no symlinked entry leaks into the listing."""
    r = hstack.get("/api/services", key=keys.read)
    assert r.status == 200, r
    names = {s["name"] for s in r.json()["services"]}
    missing = set(hostile_dir["names"]) - names
    assert not missing, f"not served: {sorted(missing)}"
    assert "sym-dir" not in names, "a symlinked service directory is listed"


def test_hello_js_baseline(run):
    """The control: a harmless CommonJS service on node@20 succeeds with a
    clean audit and launcher records only where it acted (none)."""
    r = run("hello-js", {"name": "Ada"})
    assert r.report["success"] is True and r.status == "success", str(r)
    assert "Hello" in r.metrics["stdout"] and "Ada" in r.metrics["stdout"], str(r)
    assert r.summary["overallStatus"] == "clean" and r.summary["launcherChannel"] == "ok", str(r)
    assert r.events == [], str(r)
    assert_counts_match_events(r)


# ---- network ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["net-probe", "net-probe-bun", "net-probe-deno"])
def test_net_probe(run, name):
    """DNS, TCP to a public address and to the bridge gateway, fetch(): all
    fail, only lo exists, no Docker socket; the audit lists each attempt as
    a blocked launcher network event and says "violations"."""
    r = run(name)
    assert r.status == "success", str(r)
    out = r.output()
    for probe in ("dns", "tcp", "tcpGateway", "fetch"):
        assert out[probe]["ok"] is False, f"{probe} got through: {out}\n{r}"
    assert out["interfaces"] == ["lo"] or isinstance(out["interfaces"], dict), out
    assert out["dockerSocket"] is not True, out
    net = r.events_where(type="network", source="launcher")
    assert {e["action"] for e in net} >= {"dns", "connect"}, str(r)
    assert all(e["allowed"] is False for e in net), str(r)
    targets = {e["target"] for e in net}
    assert "example.com" in targets and "1.1.1.1:443" in targets, str(r)
    assert r.summary["networkBlocked"] >= 4, str(r)
    assert r.summary["networkBlocked"] == r.summary["networkAttempts"], str(r)
    assert r.summary["overallStatus"] == "violations", str(r)
    assert_counts_match_events(r)


@pytest.mark.parametrize("name", ["net-extra", "net-extra-bun", "net-extra-deno"])
def test_net_extra_udp_ipv6_unix_raw(run, hstack, name):
    """UDP over IPv4 and IPv6, TCP over IPv6, the host's own loopback (this
    nginx's port), the Docker socket path: all fail; no capability set holds
    CAP_NET_RAW, so no raw socket can be opened. The UDP sends and the TCP
    connects are blocked launcher network events."""
    r = run(name, {"hostPort": hstack.port})
    assert r.status == "success", str(r)
    out = r.output()
    for probe in ("udp4", "udp6", "tcp6", "hostLoopback", "dockerUnix"):
        assert out[probe]["ok"] is False, f"{probe} got through: {out}\n{r}"
    assert out["interfaces"] == ["lo"] or isinstance(out["interfaces"], dict), out
    if isinstance(out["netRaw"], dict) and "ok" not in out["netRaw"]:
        assert out["netRaw"] and not any(out["netRaw"].values()), f"CAP_NET_RAW held: {out['netRaw']}"
    net = r.events_where(type="network", source="launcher")
    assert all(e["allowed"] is False for e in net), str(r)
    targets = " ".join(e["target"] for e in net)
    assert "8.8.8.8:53" in targets, f"the UDP send is not in the audit\n{r}"
    assert "2001:4860:4860::8888" in targets, f"the IPv6 UDP send is not in the audit\n{r}"
    assert "2606:4700:4700::1111" in targets, f"the IPv6 connect is not in the audit\n{r}"
    assert f"127.0.0.1:{hstack.port}" in targets, str(r)
    assert r.summary["networkBlocked"] >= 4, str(r)
    assert r.summary["overallStatus"] == "violations", str(r)
    assert_counts_match_events(r)


# ---- filesystem ---------------------------------------------------------------------------

TAMPER = ("root", "app", "appEntry", "appMkdir", "etc", "launcher")


@pytest.mark.parametrize("name", ["fs-write", "fs-write-bun", "fs-write-deno"])
def test_fs_write(run, hostile_dir, name):
    """Writes to /, /app, the entry, /etc and the launcher fail; /tmp works;
    the service directory on the host is unchanged; each blocked write is a
    launcher filesystem event and filesystemBlocked counts them."""
    svc = hostile_dir["root"] / name
    before = tree(svc)
    r = run(name)
    assert r.status == "success", str(r)
    out = r.output()
    for target in TAMPER:
        assert out[target]["ok"] is False, f"write to {target} succeeded: {out}\n{r}"
    assert out["tmp"] == {"ok": True}, out
    assert tree(svc) == before, "the service directory changed on the host"
    writes = r.events_where(type="filesystem", source="launcher")
    blocked = {e["target"] for e in writes if e["allowed"] is False}
    assert {"/ignite-pwned", "/app/pwned", "/app/index.mjs", "/etc/passwd"} <= blocked, str(r)
    assert not any(e["target"].startswith("/tmp") for e in writes), str(r)
    assert r.summary["filesystemBlocked"] >= 6, str(r)
    assert r.summary["filesystemWrites"] >= 6, str(r)
    assert r.summary["overallStatus"] == "violations", str(r)
    assert_counts_match_events(r)


def test_fs_write_rw_keeps_app_read_only(run, hostile_dir):
    """With a writable root filesystem by policy, the kernel still refuses
    writes to /app (EROFS/EACCES) and the host copy stays unchanged."""
    svc = hostile_dir["root"] / "fs-write-rw"
    before = tree(svc)
    r = run("fs-write-rw")
    assert r.status == "success", str(r)
    out = r.output()
    for target in ("app", "appEntry", "appMkdir"):
        assert out[target]["ok"] is False and out[target]["code"] in ("EROFS", "EACCES"), out
    for target in ("root", "etc", "launcher"):
        assert out[target]["ok"] is False, out
    assert tree(svc) == before
    assert r.audit["policy"]["filesystem"]["readOnly"] is False, str(r)
    app = [e for e in r.events_where(type="filesystem", source="launcher") if e["target"].startswith("/app")]
    assert app and all(e["allowed"] is False for e in app), str(r)
    assert r.summary["overallStatus"] == "violations", str(r)


@pytest.mark.parametrize("name", ["host-read", "host-read-bun", "host-read-deno"])
def test_host_read_sees_no_host_content(run, canary, keys, hostile_dir, env_canary, name):
    """Reading the host: /etc/shadow, pid 1's environment, the mount table
    and the host paths of a canary file, the keys file and the services
    directory. Whatever the service manages to read is the container's own:
    none of the host's content (checked in the answer, the stored report and
    the page by run()) and not the daemon's environment."""
    paths = [str(canary), str(keys.path), str(hostile_dir["root"] / "host-read" / "service.yaml")]
    r = run(name, {"paths": paths, "dirs": [str(hostile_dir["root"]), "/proc/1/root"]})
    assert r.status == "success", str(r)
    out = r.output()
    for p in paths:
        assert out["read"][p]["ok"] is False, f"host path {p} readable: {out['read'][p]}"
    assert out["read"][str(hostile_dir["root"]) + "/"]["ok"] is False, out["read"]
    assert out["read"]["/etc/shadow"]["ok"] is False, out["read"]["/etc/shadow"]
    assert ENV_CANARY_NAME not in out["env"], out["env"]
    assert env_canary not in r.metrics["stdout"]
    for k in out["env"]:
        assert not k.startswith(("DOCKER", "SSH_", "SUDO")), out["env"]


def test_host_read_is_reported(run):
    """Issue 5: the launcher reports filesystem reads outside /app and /tmp
    (here /etc/shadow, /proc/1/environ …) as launcher events, counted in
    summary.filesystemReads."""
    r = run("host-read")
    reads = [e for e in r.events_where(type="filesystem", source="launcher") if e["action"] == "read"]
    assert any(e["target"] == "/etc/shadow" for e in reads), str(r)
    assert r.summary["filesystemReads"] >= 1, str(r)


def test_tmpfs_fill_is_bounded(run):
    """Filling /tmp stops at the tmpfs size (at most a quarter of the 128 MB
    memory limit) with ENOSPC, and creating files stops at the inode limit
    (4096); the run itself ends normally and /tmp writes are no events."""
    r = run("tmpfs-fill")
    assert r.status == "success", str(r)
    out = r.output()
    assert out["bytesError"] == "ENOSPC", out
    assert 0 < out["bytes"] <= 32 * 1024 * 1024, out
    assert out["filesError"] == "ENOSPC", out
    assert 0 < out["files"] <= 4096, out
    assert not [e for e in r.events if e.get("target", "").startswith("/tmp")], str(r)
    assert r.summary["filesystemWrites"] == 0, str(r)


def test_tmp_program_does_not_run(run):
    """A program written to /tmp cannot be started: the spawn is refused and
    reported as a blocked spawn of /tmp/x."""
    r = run("tmp-noexec")
    assert r.status == "success", str(r)
    out = r.output()
    assert out["written"] > 0, out
    for api in ("spawn", "native"):
        if api in out:
            assert out[api].get("status") != 42, f"/tmp/x ran via {api}: {out}"
    ev = [e for e in spawn_events(r) if e["target"] == "/tmp/x"]
    assert ev and all(e["allowed"] is False for e in ev), str(r)
    assert r.summary["processBlocked"] >= 1, str(r)
    assert r.summary["overallStatus"] == "violations", str(r)


def test_tmp_is_noexec(run):
    """With spawning allowed, the kernel's noexec mount refuses /tmp/x with
    EACCES; the spawn attempt is an allowed launcher event (the policy let it
    through) and the program never ran."""
    r = run("tmp-noexec-spawn")
    assert r.status == "success", str(r)
    out = r.output()
    for api in ("spawn", "native"):
        if api in out:
            assert out[api].get("status") != 42, f"/tmp/x ran via {api}: {out}"
    errors = {out["spawn"].get("error"), out["spawn"].get("thrown"), out.get("native", {}).get("thrown")}
    assert "EACCES" in errors, out
    ev = [e for e in spawn_events(r) if e["target"] == "/tmp/x"]
    assert ev and all(e["allowed"] is True for e in ev), str(r)


# ---- privileges --------------------------------------------------------------------------

def test_privs(run):
    """No capabilities, NoNewPrivs 1, not root, no Docker socket; a service
    that only looks is "clean"."""
    r = run("privs")
    assert r.status == "success", str(r)
    st = r.output()["status"]
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert st[cap] == "0000000000000000", st
    assert st["NoNewPrivs"] == "1", st
    assert all(int(u) != 0 for u in st["Uid"].split()), st
    assert r.output()["getuid"] != 0 and r.output()["dockerSocket"] is not True
    assert r.summary["overallStatus"] == "clean", str(r)


@pytest.fixture
def host_sentinel():
    import subprocess
    p = subprocess.Popen(["sleep", "120"], user=10001, group=10001)
    yield p
    p.kill()
    p.wait()


def test_kill_all_stays_inside(run, hstack, host_sentinel):
    """kill(-1) and kill(1) with SIGKILL from inside reach only the
    container: a host process of uid 10001, nginx and the daemon survive;
    the launcher channel is intact."""
    r = run("kill-all")
    assert host_sentinel.poll() is None, "a host process of uid 10001 was killed"
    assert hstack.daemon_alive() and hstack.nginx.poll() is None
    assert r.status == "success", str(r)
    out = r.output()
    assert out["survived"] is True and out["childExit"]["signal"] == "SIGKILL", out
    assert r.summary["launcherChannel"] == "ok", str(r)


def test_self_kill_is_a_signal_not_a_limit(run, host_sentinel):
    """A service that SIGKILLs itself: status failed, exit 137, signal 9,
    an engine process/signal event, neither OOM nor timeout."""
    r = run("kill-all", {"self": True})
    assert host_sentinel.poll() is None
    assert r.status == "failed" and r.report["success"] is False, str(r)
    assert r.metrics["exitCode"] == 137 and r.metrics["signal"] == 9, str(r)
    assert r.metrics["oomKilled"] is False and r.metrics["timedOut"] is False, str(r)
    assert r.events_where(type="process", action="signal", source="engine"), str(r)
    assert r.summary["processSpawns"] == len(spawn_events(r)), str(r)


# ---- runaway workloads ---------------------------------------------------------------------

def test_memory_bomb(run):
    """Killed by the kernel at 64 MB: HTTP 200, success false, status oom,
    oomKilled, exit 137, an engine resource/oom-kill event, "violations"."""
    r = run("memory-bomb")
    assert r.report["success"] is False and r.status == "oom", str(r)
    assert r.metrics["oomKilled"] is True and r.metrics["exitCode"] == 137, str(r)
    assert r.metrics["timedOut"] is False and r.metrics["executionTimeMs"] < 15000, str(r)
    ev = r.events_where(type="resource", action="oom-kill", source="engine", allowed=False)
    assert len(ev) == 1, str(r)
    assert r.summary["overallStatus"] == "violations", str(r)
    assert r.summary["bySource"]["engine"] >= 1, str(r)


def test_cpu_spin(run):
    """Killed at its 2 s time limit: status timeout, timedOut, an engine
    resource/timeout-kill event; the HTTP answer comes right after."""
    t0 = time.monotonic()
    r = run("cpu-spin")
    wall = time.monotonic() - t0
    assert r.status == "timeout" and r.metrics["timedOut"] is True, str(r)
    assert 2000 <= r.metrics["executionTimeMs"] <= 3500, str(r)
    assert wall < 10, f"the answer took {wall:.1f}s"
    assert r.metrics["stdout"] == "spinning\n", str(r)
    assert r.events_where(type="resource", action="timeout-kill", source="engine"), str(r)
    assert r.summary["overallStatus"] == "violations", str(r)


@pytest.mark.parametrize("name,limit", [("signal-games", 2000), ("long-sleep", 1500)])
def test_sleep_and_signal_games_end_at_the_deadline(run, name, limit):
    """A service that ignores SIGTERM and friends, or sleeps ten minutes,
    ends at its time limit (SIGKILL): status timeout, timedOut, an engine
    timeout-kill event."""
    t0 = time.monotonic()
    r = run(name)
    wall = time.monotonic() - t0
    assert r.status == "timeout" and r.metrics["timedOut"] is True, str(r)
    assert limit <= r.metrics["executionTimeMs"] <= limit + 1500, str(r)
    assert wall < limit / 1000 + 8, f"the answer took {wall:.1f}s"
    assert r.events_where(type="resource", action="timeout-kill", source="engine"), str(r)
    assert "woke up" not in r.metrics["stdout"], str(r)


def test_output_flood(run, hstack):
    """50 MiB on stdout: kept up to the 1 MiB cap, flagged, an engine
    output/truncate event; the HTTP answer stays near the cap and the
    daemon's memory does not grow by the flood."""
    rss0 = rss_kb(hstack.daemon.pid)
    r = run("output-flood")
    rss1 = rss_kb(hstack.daemon.pid)
    assert r.status == "success", str(r)
    cap = r.report["limits"]["outputMaxBytes"]
    assert len(r.metrics["stdout"].encode()) == cap, str(r)
    assert r.metrics["outputTruncated"] is True, str(r)
    assert "wrote 52428800 bytes" in r.metrics["stderr"], str(r)
    assert r.events_where(type="output", action="truncate", target="stdout", source="engine"), str(r)
    assert len(r.resp.body) < 3 * cap, f"the answer is {len(r.resp.body)} bytes"
    assert rss1 - rss0 < 48 * 1024, f"daemon RSS grew {rss1 - rss0} KB over a 50 MiB flood"


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_fork_bomb_spawn_denied(run):
    """200 attempts to start the runtime are refused and reported (200
    blocked launcher spawns); the run ends well before its limit."""
    r = run("fork-bomb")
    assert r.status in ("success", "failed"), str(r)
    assert r.metrics["timedOut"] is False and r.metrics["executionTimeMs"] < 12000, str(r)
    assert spawn_events(r, allowed=True) == [], str(r)
    assert len(spawn_events(r, allowed=False)) == 200, str(r)
    assert r.summary["processBlocked"] == 200, str(r)
    assert r.summary["overallStatus"] != "clean", str(r)


def test_fork_bomb_pids_limit(run):
    """Allowed to spawn, the bomb runs into the PIDs limit (64): an engine
    resource/pids-limit event, the run ends before its limit."""
    r = run("fork-bomb-spawn")
    assert r.status in ("success", "failed"), str(r)
    assert r.metrics["timedOut"] is False, str(r)
    assert r.report["limits"]["pidsLimit"] == 64, str(r)
    pids = r.events_where(type="resource", action="pids-limit", source="engine", allowed=False)
    assert pids and "limit of 64" in pids[0]["details"], str(r)
    assert r.summary["overallStatus"] != "clean", str(r)


def test_orphans_are_reaped_and_die_with_the_run(run):
    """Orphans (children of children that exited) are reparented to the
    container's init, which reaps them: no zombie after they exit. A
    long-lived orphan (its command line carries a mark) does not hold the
    run, and dies with the container: no host process carries the mark."""
    mark = "orphan" + secrets.token_hex(8)
    t0 = time.monotonic()
    r = run("orphans", {"mark": mark})
    wall = time.monotonic() - t0
    assert r.status == "success", str(r)
    out = r.output()
    assert out["started"] == 8 and not out["errors"], out
    assert out["zombies"] == 0, f"zombies left unreaped: {out}"
    assert r.metrics["timedOut"] is False and wall < 9, str(r)
    assert out["marked"] >= 1, f"the long-lived orphan did not start: {out}"
    deadline = time.monotonic() + 10
    while True:
        left = processes_with(mark)
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not left, f"the run's orphan outlived it on the host: pids {left}"


def processes_with(mark):
    """Host pids whose command line holds mark."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                if mark.encode() in f.read():
                    out.append(int(d))
        except OSError:
            continue
    return out


def test_grandchild_exit_does_not_hold_the_run(run):
    """A detached grandchild holding stdout open (for a minute) does not keep
    the run alive after the main process exits: the run succeeds well before
    its 4 s limit (the service itself waits up to 2 s for the spawn)."""
    t0 = time.monotonic()
    r = run("grandchild", {"mode": "exit"})
    assert r.status == "success" and r.output()["grandchild"], str(r)
    assert r.metrics["timedOut"] is False, str(r)
    assert r.metrics["executionTimeMs"] < 3500 and time.monotonic() - t0 < 8, str(r)


def test_grandchild_hang_ends_at_the_deadline(run):
    """Main and grandchild alive: both are killed at the 4 s deadline."""
    t0 = time.monotonic()
    r = run("grandchild", {"mode": "hang"})
    assert r.status == "timeout" and r.metrics["timedOut"] is True, str(r)
    assert "grandchild alive" in r.metrics["stdout"], str(r)
    assert 4000 <= r.metrics["executionTimeMs"] <= 5500 and time.monotonic() - t0 < 11, str(r)


# ---- spawning ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["spawn-denied", "spawn-denied-bun", "spawn-denied-deno"])
def test_spawn_denied(run, name):
    """Every spawn API fails to start a program; each attempt is a blocked
    launcher spawn, processBlocked ≥ 4, "violations"."""
    r = run(name)
    assert r.status == "success", str(r)
    out = r.output()
    for api, res in out.items():
        assert res["ran"] is False, f"{api} started a program: {out}"
    assert spawn_events(r, allowed=True) == [], str(r)
    assert len(spawn_events(r, allowed=False)) >= 4, str(r)
    assert r.summary["processBlocked"] >= 4, str(r)
    assert r.summary["overallStatus"] == "violations", str(r)
    assert_counts_match_events(r)


def test_spawn_allowed_for_listed_command_only(run):
    """allowedCommands: the listed runtime binary runs (one allowed spawn),
    the unlisted dynamic loader is refused (blocked spawns)."""
    r = run("spawn-allowed")
    assert r.status == "success", str(r)
    out = r.output()
    assert out["listed"]["ran"] is True and out["unlisted"]["ran"] is False, out
    allowed = spawn_events(r, allowed=True)
    blocked = spawn_events(r, allowed=False)
    assert [e["target"] for e in allowed] == [f"{out['execPath']} --version"], str(r)
    assert blocked and all(e["target"].startswith("/lib64/ld-linux") for e in blocked), str(r)


# ---- the report itself ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["forged-records", "forged-records-bun", "forged-records-deno"])
def test_forged_records(run, name):
    """Launcher-shaped records with a made-up HMAC on stderr add no event:
    the channel is "forged", an engine integrity/forged-record event, and
    overallStatus "unknown"; the fake exit record did not replace the real
    one."""
    r = run(name)
    assert "IGNITE1" in r.metrics["stderr"] and "forged.example:443" in r.metrics["stderr"], str(r)
    for e in r.events:
        assert e.get("details") != "FORGED", f"a forged record became an event: {e}"
        assert e.get("target") not in ("forged.example:443", "/forged"), str(r)
    assert r.summary["networkAttempts"] == 0 and r.summary["filesystemWrites"] == 0, str(r)
    assert r.summary["launcherChannel"] == "forged", str(r)
    assert r.summary["overallStatus"] == "unknown", str(r)
    assert r.events_where(type="integrity", action="forged-record", source="engine"), str(r)
    assert r.metrics.get("initTimeMs") != 1, str(r)


def test_fake_blocked_lines_do_not_change_the_report(run):
    """A service that only prints what blocked attempts print gets output
    hints (source "output"), but every count stays 0 and overallStatus
    stays "clean": hints never decide it."""
    r = run("fake-blocked")
    assert r.status == "success", str(r)
    hints = r.events_where(source="output")
    assert hints, f"no output hints at all\n{r}"
    s = r.summary
    for k in ("networkAttempts", "networkBlocked", "filesystemWrites", "filesystemBlocked",
              "processSpawns", "processBlocked"):
        assert s[k] == 0, (k, str(r))
    assert s["bySource"]["output"] == len(hints) and s["bySource"]["launcher"] == 0, str(r)
    assert s["overallStatus"] == "clean" and s["launcherChannel"] == "ok", str(r)


def test_closing_the_channel_is_not_clean(run):
    """A service that closes its stderr and every descriptor above it (the
    launcher's channel among them), then writes where it may not: the
    report never says "clean" — either the write is still a blocked event,
    or the channel is reported lost and overallStatus "unknown"."""
    r = run("channel-close")
    s = r.summary
    assert s["overallStatus"] != "clean", str(r)
    if s["launcherChannel"] == "ok":
        assert r.events_where(type="filesystem", target="/etc/ignite-silenced", allowed=False,
                              source="launcher"), str(r)
    else:
        assert s["launcherChannel"] == "lost" and s["overallStatus"] == "unknown", str(r)
        assert r.events_where(type="integrity", source="engine"), str(r)


def test_blocked_by_preflight(run):
    """memoryMb 1 against a 500 MB estimate: 400 with the failed preflight,
    status blocked, no metrics, no audit; stored and served like any run."""
    r = run("blocked", expect_http=400)
    assert r.status == "blocked" and r.report["success"] is False, str(r)
    assert r.report["error"]["code"] == "preflight_failed", str(r)
    assert r.report["preflight"]["overallStatus"] == "fail", str(r)
    assert "metrics" not in r.report and "securityAudit" not in r.report, str(r)


# ==== symlinks to host files ===========================================================

SYMLINK_NAMES = ["sym-entry-shadow", "sym-entry-passwd", "sym-entry-relative", "sym-entry-proc",
                 "sym-package", "sym-lock", "sym-policy", "sym-nm-files", "sym-nm-dir",
                 "sym-nm-scoped", "sym-nm-deep", "sym-nm-longpath", "sym-yaml", "sym-dir"]

SYMLINK_DEFECTS = {}


def symlink_case(name):
    reason = SYMLINK_DEFECTS.get(name)
    return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=reason)) if reason else name


@pytest.mark.parametrize("name", [symlink_case(n) for n in SYMLINK_NAMES])
def test_symlinked_service_is_refused_before_a_container(hstack, keys, host, hostile_dir, cookie, name):
    """A service directory whose entry, package.json, lockfile, policy,
    service.yaml or node_modules holds a symlink to a host file (or that is
    itself a symlink out of the services directory) is refused with 400
    invalid_service (404 for the directory link) before any container is
    created; no response, stored report, page or error shows host content —
    not even the text "root:"."""
    assert name in hostile_dir["symlinks"]
    since = time.time() - 0.5
    r = hstack.execute(name, {"input": {}}, key=keys.execute)
    host.check(f"POST execute {name}", r.body, strict_root=True)
    assert r.status in (400, 404), f"{name} ({hostile_dir['symlinks'][name]}): {r}"
    body = r.json()
    assert body["success"] is False and isinstance(body["error"]["message"], str), body
    if name == "sym-dir":
        assert r.status == 404 and body["error"]["code"] == "not_found", body
    else:
        assert body["error"]["code"] == "invalid_service", body
    assert "SYMLINKED SERVICE RAN" not in r.text
    events = container_events(since, name)
    assert not events, f"{name}: the engine saw containers: {[(e.get('Action'), e.get('id', '')[:12]) for e in events]}"
    # Everything else a client could ask about it.
    for path, key in ((f"/api/services/{name}", keys.read), (f"/api/services/{name}/preflight", keys.read),
                      (f"/api/runs?service={name}", keys.read), ("/api/services", keys.read)):
        g = hstack.get(path, key=key)
        assert g.status < 500, (path, g)
        host.check(f"GET {path}", g.body, strict_root=True)
        if path.startswith("/api/runs"):
            for summary in g.json().get("runs", []):
                doc = hstack.get(f"/api/runs/{summary['runId']}", key=keys.read)
                host.check(f"stored run {summary['runId']}", doc.body, strict_root=True)
                assert "metrics" not in doc.json(), f"{name} ran: {doc.json()}"
    p = hstack.get(f"/services/{name}", headers={"Cookie": f"ignite_session={cookie}"})
    assert p.status < 500, p
    host.check(f"the page /services/{name}", p.body, strict_root=True)
    assert hstack.daemon_alive()


def test_symlink_errors_name_the_link_not_its_content(hstack, keys):
    """The refusal says which link escapes (so an operator can fix it) and
    nothing of what it points at."""
    r = hstack.execute("sym-nm-files", {"input": {}}, key=keys.execute)
    assert r.status == 400, r
    text = json.dumps(r.json())
    assert "node_modules/evil" in text and "outside" in text, text
    r = hstack.execute("sym-entry-shadow", {"input": {}}, key=keys.execute)
    text = json.dumps(r.json())
    assert "index.mjs" in text and ("outside" in text or "escape" in text), text


# ==== the threat model's table ==========================================================

def test_threat_model_rows_point_at_tests_that_exist():
    """docs/threat-model.md: every row of the security-goals table names at
    least one test as path::name, and every test it names (anywhere on the
    page) exists — the file, and a `def name(` in it."""
    doc = (ROOT / "docs" / "threat-model.md").read_text()
    table = doc[doc.index("| goal | what enforces it | proved by |"):doc.index("## Process spawning")]
    rows = [l for l in table.splitlines() if l.startswith("| **")]
    assert len(rows) >= 6, rows
    for row in rows:
        proved = row.rstrip(" |").rsplit(" | ", 1)[1]
        assert re.search(r"tests/[\w/]+\.py::test_\w+", proved), f"a row proves nothing by name: {row[:80]}"
    missing = []
    for path, name in re.findall(r"(tests/[\w/]+\.py)::(test_\w+)", doc):
        f = ROOT / path
        if not f.is_file() or not re.search(rf"(?m)^def {name}\(", f.read_text()):
            missing.append(f"{path}::{name}")
    for path in re.findall(r"`(tests/[\w/]+\.c)`", doc):
        if not (ROOT / path).is_file():
            missing.append(path)
    assert not missing, f"docs/threat-model.md names tests that do not exist: {missing}"
