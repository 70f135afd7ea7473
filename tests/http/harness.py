"""Harness for the HTTP and browser suites: real nginx in front of a real ignite-fcgi in
front of the real Docker engine, all on loopback, all started here.

- One session-wide work directory holds the services (examples/hello,
  examples/data-processor and the fixture services of tests/http/services/),
  a sentinel service *outside* the services directory (path traversal must
  never reach it), the keys file and one directory per server stack.
- A stack = one ignite-fcgi (its own unix socket, runs directory and log file)
  + one nginx rendered from nginx/dev.conf.in by scripts/stack.sh on a free
  127.0.0.1 port. The shared stack (`stack`) has limits high enough for the
  suite; tests that need other settings (rate limits, concurrency, Docker
  down, restarts) start their own with `make_stack`.
- Every process started here is stopped at the end (SIGTERM, wait, SIGKILL),
  also when a test fails; they also get SIGTERM if pytest itself dies.
- On a failed test the tail of every daemon log is attached to the report.
- At the end: the shared daemon must still be alive (it never crashed), and
  no container labelled ignite.managed=1 that one of our daemons owned (or
  whose owner is gone) may remain. The engine is queried with http.client
  over its unix socket (tests/lib/engine_api.py); the docker command-line
  tool is never used.

Only the standard library and pytest. tests/http/conftest.py and
tests/browser/conftest.py import the fixtures and the report hook from here.
"""
import atexit
import ctypes
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lib"))

# The Engine API client the suites share; tests import these names from here.
from engine_api import (MANAGED_LABEL, Engine, UnixHTTPConnection,  # noqa: E402,F401
                        owner_alive, proc_start_time)
from engine_api import socket_path as docker_socket_path  # noqa: E402

ROOT = Path(os.environ.get("IGNITE_ROOT", HERE.parents[1]))
BUILD = Path(os.environ.get("IGNITE_BUILD", ROOT / "build"))
FIXTURE_SERVICES = HERE / "services"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# The daemon under test; IGNITE_FCGI may name another build of it (e.g. one
# with AddressSanitizer: its reports land in the daemon logs, checked at the end).
FCGI = Path(os.environ.get("IGNITE_FCGI", BUILD / "ignite-fcgi"))
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

# Limits of the shared stack: high enough that the suite never trips them.
WARM_POOL = os.environ.get("IGNITE_TEST_WARM_POOL", "0")


def wait_for(pred, timeout, step=0.1):
    """Polls pred() until it returns something true or timeout seconds pass;
    returns its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def idle_warm(c):
    """True for a warm-pool container no run has taken yet (labelled
    ignite.run=warm; a taken one is renamed ignite-<runId>)."""
    return ((c.get("Labels") or {}).get("ignite.run") == "warm"
            and not any(n.startswith("/ignite-") for n in c.get("Names") or []))


def of_run(c, run_id):
    """True for the container of run run_id (cold: its label; warm: its name)."""
    return ((c.get("Labels") or {}).get("ignite.run") == run_id
            or f"/ignite-{run_id}" in (c.get("Names") or []))
SHARED_ARGS = ["--rate-limit", "1000000", "--auth-failure-limit", "1000000",
               "--max-concurrent", "4", "--max-concurrent-per-key", "4",
               "--shutdown-grace", "20"]


# ---- small HTTP client ------------------------------------------------------

class Response:
    def __init__(self, status, reason, headers, body, elapsed):
        self.status = status
        self.reason = reason
        self.headers = headers          # list of (name, value)
        self.body = body                # bytes
        self.elapsed = elapsed

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise AssertionError(f"not JSON ({e}): HTTP {self.status} {self.body[:500]!r}")

    def __repr__(self):
        return f"<HTTP {self.status} {self.body[:300]!r}>"


def http_request(port, method, path, body=None, headers=None, key=None, timeout=90,
                 content_type=None):
    """One request on a fresh connection. body: bytes, str, or a JSON-able
    object (sent as application/json unless content_type says otherwise)."""
    h = dict(headers or {})
    if key is not None:
        h["Authorization"] = f"Bearer {key}"
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        h.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode()
    if content_type is not None:
        h["Content-Type"] = content_type
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    t0 = time.monotonic()
    try:
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    return Response(resp.status, resp.reason, resp.getheaders(), data, time.monotonic() - t0)


def raw_request(port, data, timeout=30):
    """Sends raw bytes (a request nothing would normally send) and returns
    (status, head text, body bytes) of the answer."""
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
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    first = head.split(b"\r\n", 1)[0].decode("latin-1")
    m = re.match(r"HTTP/1\.[01] (\d{3})", first)
    assert m, f"no HTTP status line in the answer: {raw[:300]!r}"
    return int(m.group(1)), head.decode("latin-1"), body


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- processes --------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """Child side of Popen: get SIGTERM when pytest goes away."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def stop_process(p, grace=30.0):
    """SIGTERM, wait up to grace seconds, then SIGKILL. Returns the exit code."""
    if p is None:
        return None
    if p.poll() is None:
        try:
            p.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)
    return p.returncode


STACKS = []          # every stack of the session, for logs and clean-up
DAEMON_PIDS = set()  # every ignite-fcgi started (container owner labels name them)


class Stack:
    """One ignite-fcgi behind one nginx."""

    def __init__(self, name, workdir, services, keys_file, args=(), runs=None, owner=None):
        self.name = name
        root = Path(workdir) / "stacks"
        root.mkdir(exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix=name + ".", dir=root))
        self.services = Path(services)
        self.keys_file = Path(keys_file)
        self.runs = Path(runs) if runs else self.dir / "runs"
        self.runs.mkdir(parents=True, exist_ok=True)
        self.socket = self.dir / "fcgi.sock"
        self.log_path = self.dir / "daemon.log"
        self.nginx_prefix = self.dir / "nginx"
        self.nginx_prefix.mkdir()
        self.args = list(args)
        self.port = None
        self.daemon = None
        self.nginx = None
        self.daemon_exits = []        # exit codes of daemons stopped or crashed
        STACKS.append(self)
        if owner is not None:
            owner.append(self)

    # -- daemon --
    def daemon_cmd(self):
        # The execution tests run twice in `make test`: with the warm pool
        # off and on (IGNITE_TEST_WARM_POOL); a stack that sets it keeps its own.
        pool = [] if "--warm-pool" in self.args else ["--warm-pool", WARM_POOL]
        return [str(FCGI), "--socket", str(self.socket), "--socket-mode", "0666",
                "--services", str(self.services), "--runs", str(self.runs),
                "--keys", str(self.keys_file), "--workers", "4", *pool, *self.args]

    def start_daemon(self, timeout=20):
        assert self.daemon is None or self.daemon.poll() is not None, "daemon already running"
        with open(self.log_path, "ab") as log:
            log.write(f"---- start: {' '.join(self.daemon_cmd())}\n".encode())
            log.flush()
            self.daemon = subprocess.Popen(self.daemon_cmd(), stdin=subprocess.DEVNULL,
                                           stdout=log, stderr=log, cwd=str(self.dir),
                                           preexec_fn=_die_with_parent)
        DAEMON_PIDS.add(self.daemon.pid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.daemon.poll() is not None:
                raise AssertionError(f"ignite-fcgi ({self.name}) exited with {self.daemon.returncode} "
                                     f"at start-up:\n{self.log_tail()}")
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.connect(str(self.socket))
                if "listening" in self.log_text():
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"ignite-fcgi ({self.name}) did not listen on {self.socket} "
                             f"within {timeout}s:\n{self.log_tail()}")

    def stop_daemon(self, grace=30.0):
        rc = stop_process(self.daemon, grace)
        if rc is not None:
            self.daemon_exits.append(rc)
        self.daemon = None
        return rc

    def daemon_alive(self):
        return self.daemon is not None and self.daemon.poll() is None

    def sighup(self):
        """SIGHUP, then waits until the daemon logged the reload."""
        before = self.log_text().count("reload: configuration")
        self.daemon.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.log_text().count("reload: configuration") > before:
                return
            time.sleep(0.05)
        raise AssertionError(f"no reload logged after SIGHUP:\n{self.log_tail()}")

    # -- nginx --
    def start_nginx(self, timeout=10):
        self.port = free_port()
        conf = subprocess.run(
            ["bash", str(ROOT / "scripts" / "stack.sh"), "nginx-conf", str(self.nginx_prefix),
             str(self.port), str(self.socket), str(ROOT / "static")],
            check=True, capture_output=True, text=True).stdout
        (self.nginx_prefix / "nginx.conf").write_text(conf)
        err = self.nginx_prefix / "error.log"
        self.nginx = subprocess.Popen(
            [NGINX, "-p", str(self.nginx_prefix), "-e", str(err), "-c",
             str(self.nginx_prefix / "nginx.conf")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.nginx.poll() is not None:
                out = self.nginx.stderr.read().decode(errors="replace")
                raise AssertionError(f"nginx ({self.name}) exited with {self.nginx.returncode}: "
                                     f"{out}\n{err.read_text() if err.exists() else ''}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"nginx ({self.name}) did not listen on {self.port}")

    def stop_nginx(self):
        stop_process(self.nginx, 10)
        if self.nginx is not None and self.nginx.stderr:
            self.nginx.stderr.close()
        self.nginx = None

    def start(self):
        self.start_daemon()
        self.start_nginx()
        return self

    def stop(self):
        self.stop_nginx()
        return self.stop_daemon()

    # -- logs --
    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_lines(self):
        out = []
        for line in self.log_text().splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def log_tail(self, n=25):
        lines = self.log_text().splitlines()
        return "\n".join(lines[-n:])

    # -- HTTP --
    def request(self, method, path, body=None, **kw):
        return http_request(self.port, method, path, body=body, **kw)

    def get(self, path, **kw):
        return http_request(self.port, "GET", path, **kw)

    def execute(self, service, body=None, key=None, query="", **kw):
        return http_request(self.port, "POST", f"/api/services/{service}/execute{query}",
                            body=({"input": {}} if body is None else body), key=key, **kw)

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"


def _stop_all():
    for s in STACKS:
        try:
            s.stop()
        except Exception:
            pass


atexit.register(_stop_all)


def _log_size(stack):
    try:
        return stack.log_path.stat().st_size
    except OSError:
        return 0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's report carries what each daemon logged during it."""
    outcome = yield
    rep = outcome.get_result()
    if call.when == "setup":
        item._ignite_log_sizes = {id(s): _log_size(s) for s in STACKS}
    if not rep.failed:
        return
    sizes = getattr(item, "_ignite_log_sizes", {})
    for s in STACKS:
        start = sizes.get(id(s), 0)
        try:
            with open(s.log_path, "rb") as f:
                f.seek(start)
                new = f.read().decode(errors="replace").splitlines()
        except OSError:
            continue
        if new:
            rep.sections.append((f"ignite-fcgi log during the test, stack {s.name} ({s.log_path})",
                                 "\n".join(new[-30:])))


# ---- fixtures ---------------------------------------------------------------

@pytest.fixture(scope="session")
def engine():
    e = Engine(docker_socket_path())
    if not e.ping():
        pytest.fail(f"no Docker engine answers at {e.path} (tests/run-suites.sh docker starts one)")
    return e


@pytest.fixture(scope="session")
def binaries():
    for b in (BUILD / "ignite", FCGI):
        if not b.exists():
            pytest.fail(f"{b} is missing: build it first (make B={BUILD.name} {b})")
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed")
    return BUILD


@pytest.fixture(scope="session")
def workdir():
    d = Path(tempfile.mkdtemp(prefix="ignite-http-"))
    os.chmod(d, 0o755)
    yield d
    if not os.environ.get("IGNITE_KEEP_TMP"):
        shutil.rmtree(d, ignore_errors=True)


def _copy_service(src, dst):
    shutil.copytree(src, dst, symlinks=True)
    for dirpath, dirnames, filenames in os.walk(dst):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p):
                os.chmod(p, 0o644)


@pytest.fixture(scope="session")
def services_dir(workdir):
    d = workdir / "services"
    d.mkdir()
    for name in ("hello", "data-processor"):
        _copy_service(ROOT / "examples" / name, d / name)
    for src in sorted(FIXTURE_SERVICES.iterdir()):
        if src.is_dir():
            _copy_service(src, d / src.name)
    return d


@pytest.fixture(scope="session")
def outside_dir(workdir):
    """A valid service next to (not inside) the services directory: no
    request may ever make the daemon open it."""
    d = workdir / "outside"
    _copy_service(ROOT / "examples" / "hello", d)
    yaml = (d / "service.yaml").read_text().replace("name: hello", "name: outside")
    (d / "service.yaml").write_text(yaml)
    return d


class Keys:
    """API keys of the session: .admin, .read, .execute … (the token) and
    .ids[name] (the public key id)."""

    def __init__(self, path):
        self.path = path
        self.ids = {}
        self.tokens = {}

    def add(self, name, scope):
        out = subprocess.run([str(BUILD / "ignite"), "keys", "add", name, "--scope", scope,
                              "--file", str(self.path), "--json"],
                             check=True, capture_output=True, text=True)
        k = json.loads(out.stdout)
        assert re.fullmatch(r"ign_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", k["key"]), k
        self.ids[name] = k["id"]
        self.tokens[name] = k["key"]
        return k["key"]

    def revoke(self, name):
        subprocess.run([str(BUILD / "ignite"), "keys", "revoke", self.ids[name], "--file", str(self.path)],
                       check=True, capture_output=True, text=True)

    def __getattr__(self, name):
        try:
            return self.__dict__["tokens"][name]
        except KeyError:
            raise AttributeError(name)


@pytest.fixture(scope="session")
def keys(workdir, binaries):
    k = Keys(workdir / "keys")
    k.add("admin", "admin")
    k.add("read", "read")
    k.add("execute", "execute")
    k.add("revoked", "execute")
    for i in range(1, 5):
        k.add(f"spare{i}", "execute")
    return k


@pytest.fixture(scope="session")
def servers(engine, binaries, workdir, services_dir, outside_dir, keys):
    """Starts the shared stack; stops every stack at the end and checks that
    the shared daemon never died and no container was left behind."""
    mine = []
    main = Stack("main", workdir, services_dir, keys.path, SHARED_ARGS, owner=mine).start()
    yield {"main": main, "stacks": mine}
    main_alive = main.daemon_alive()
    main_rc = None if main_alive else main.daemon.returncode
    for s in mine:
        s.stop()
    problems = []
    if not main_alive:
        problems.append(f"the shared ignite-fcgi died during the suite (exit {main_rc}):\n"
                        f"{main.log_tail(80)}")
    crashed = [(s.name, rc) for s in mine for rc in s.daemon_exits if rc != 0]
    if crashed:
        problems.append(f"daemons that did not exit 0: {crashed}")
    deadline = time.monotonic() + 15
    while True:
        leaked = []
        for c in engine.managed():
            owner = (c.get("Labels") or {}).get("ignite.owner", "")
            pid = owner.partition(".")[0]
            ours = pid.isdigit() and int(pid) in DAEMON_PIDS
            if ours or not owner_alive(owner):
                leaked.append({"id": c["Id"][:12], "state": c.get("State"), "labels": c.get("Labels")})
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if leaked:
        problems.append(f"containers left behind: {leaked}")
    for s in mine:
        text = s.log_text()
        for mark in SANITIZER_MARKS:
            i = text.find(mark)
            if i >= 0:
                problems.append(f"sanitizer report in {s.log_path}:\n{text[max(0, i - 200):i + 3000]}")
                break
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="session")
def stack(servers):
    """The shared stack (high limits, default body limit, audit required)."""
    s = servers["main"]
    assert s.daemon_alive(), f"the shared daemon is gone:\n{s.log_tail()}"
    return s


@pytest.fixture(scope="session")
def make_stack(servers, workdir, services_dir, keys):
    """make_stack(name, *daemon_args, runs=None) -> a started Stack of its own."""
    def make(name, *args, runs=None):
        s = Stack(name, workdir, services_dir, keys.path, args, runs=runs, owner=servers["stacks"])
        return s.start()
    return make


def login(stack, key):
    """Logs in through the form; returns the session cookie's value."""
    r = stack.get("/login")
    assert r.status == 200, r
    pre = None
    for c in r.header_all("Set-Cookie"):
        m = re.match(r"ignite_login=([^;]+)", c)
        if m:
            pre = m.group(1)
    assert pre, f"GET /login set no ignite_login cookie: {r.headers}"
    m = re.search(r'name="csrf" value="([^"]+)"', r.text)
    assert m, "the login form has no csrf field"
    body = urllib.parse.urlencode({"key": key, "csrf": m.group(1)})
    r = stack.request("POST", "/login", body, content_type="application/x-www-form-urlencoded",
                      headers={"Cookie": f"ignite_login={pre}"})
    assert r.status == 303 and r.header("Location") == "/", r
    for c in r.header_all("Set-Cookie"):
        m = re.match(r"ignite_session=([^;]+)(.*)", c)
        if m:
            attrs = m.group(2)
            assert "HttpOnly" in attrs and "SameSite=Strict" in attrs, c
            return m.group(1)
    raise AssertionError(f"POST /login set no session cookie: {r.headers}")
