"""Fixtures for the Docker integration suite.

The suite drives the real `ignite` binary ($IGNITE_BUILD/ignite, default
<repo>/build/ignite) against the real Docker engine at /var/run/docker.sock
(or the unix:// DOCKER_HOST), with the hostile services of tests/hostile/.

- If no engine answers on the socket, the whole suite is skipped (the only
  reason it may be); tests/run-suites.sh starts one, so in CI it runs.
- Every run goes through a private, per-session IGNITE_RUNS_DIR.
- Every service runs from a fresh copy of its fixture directory, so a
  containment failure cannot dirty the repository and the test can check the
  copy on the host afterwards.
- After every run, no container carrying that run's id may remain; at the
  end of the session, no Ignite container may be left behind at all.

The engine is queried over the unix socket with http.client
(tests/lib/engine_api.py); the docker command-line tool is not used anywhere
in this suite.
"""
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from engine_api import MANAGED_LABEL, Engine, owner_alive, socket_path  # noqa: E402

ROOT = Path(os.environ.get("IGNITE_ROOT", Path(__file__).resolve().parents[2]))
BUILD = Path(os.environ.get("IGNITE_BUILD", ROOT / "build"))
HOSTILE = ROOT / "tests" / "hostile"


def left_behind(engine):
    """Ignite containers that no live process owns: a run that is over (or a
    crash) left them. Another process's run still in progress on a shared
    engine is not a leak; a container without an owner label always is."""
    out = []
    for c in engine.containers(MANAGED_LABEL):
        if not owner_alive(c.get("Labels", {}).get("ignite.owner")):
            out.append(c)
    return out


def describe(containers):
    return [{"id": c["Id"][:12], "names": c.get("Names"), "state": c.get("State"),
             "labels": c.get("Labels")} for c in containers]


@pytest.fixture(scope="session")
def engine():
    e = Engine(socket_path())
    if not e.ping():
        pytest.skip(f"no Docker engine answers at {e.path} "
                    "(tests/run-suites.sh docker starts one)")
    return e


@pytest.fixture(scope="session", autouse=True)
def no_container_left_behind(engine):
    """At session end, no container labelled ignite.managed=1 may be left."""
    yield
    # A run that just ended may still be in the engine's remove path.
    deadline = time.monotonic() + 10
    leaked = left_behind(engine)
    while leaked and time.monotonic() < deadline:
        time.sleep(0.5)
        leaked = left_behind(engine)
    assert not leaked, f"Ignite containers left behind: {describe(leaked)}"


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def ignite_bin():
    path = BUILD / "ignite"
    if not path.exists():
        pytest.fail(f"{path} is missing: build it first (make B={BUILD.name} {path})")
    return path


@pytest.fixture(scope="session")
def session_dir():
    d = Path(tempfile.mkdtemp(prefix="ignite-it-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def runs_dir(session_dir):
    d = session_dir / "runs"
    d.mkdir()
    return d


@pytest.fixture
def service(session_dir):
    """service(name) -> Path of a fresh copy of tests/hostile/<name> (or of any
    directory given as a Path), readable by the container's user."""
    def make(name):
        src = name if isinstance(name, Path) else HOSTILE / name
        dst = session_dir / "services" / f"{next(_copies):04d}" / src.name
        shutil.copytree(src, dst)
        os.chmod(dst, 0o755)
        return dst

    return make


_copies = itertools.count()


class Run:
    """One finished `ignite` invocation."""

    def __init__(self, args, rc, stdout, stderr, wall, maxrss_kb):
        self.args = args
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.wall = wall
        self.maxrss_kb = maxrss_kb
        self.report = None
        if stdout.strip().startswith("{"):
            try:
                self.report = json.loads(stdout)
            except ValueError:
                self.report = None

    # Convenience views of the report.
    @property
    def metrics(self):
        return (self.report or {}).get("metrics") or {}

    @property
    def audit(self):
        return (self.report or {}).get("securityAudit") or {}

    @property
    def summary(self):
        return self.audit.get("summary") or {}

    @property
    def events(self):
        return self.audit.get("events") or []

    def events_where(self, **kw):
        return [e for e in self.events if all(e.get(k) == v for k, v in kw.items())]

    def service_output(self):
        """The service's stdout parsed as the one JSON line it printed."""
        text = self.metrics.get("stdout", "")
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except ValueError:
                    continue
        raise AssertionError(f"the service printed no JSON line\n{self}")

    def __str__(self):
        """An excerpt of the run for assertion messages."""
        r = self.report
        if r is None:
            return (f"ignite {' '.join(map(str, self.args))}\nexit {self.rc}, {self.wall:.1f}s\n"
                    f"stdout: {self.stdout[-2000:]}\nstderr: {self.stderr[-2000:]}")
        m = dict(self.metrics)
        for k in ("stdout", "stderr"):
            if isinstance(m.get(k), str) and len(m[k]) > 1500:
                m[k] = m[k][:1500] + f"... ({len(m[k])} chars)"
        excerpt = {
            "status": r.get("status"), "success": r.get("success"), "error": r.get("error"),
            "runtime": r.get("runtime"), "limits": r.get("limits"), "metrics": m,
            "audit.summary": self.summary, "audit.events": self.events[:40],
        }
        return (f"ignite {' '.join(map(str, self.args))}\nexit {self.rc}, {self.wall:.1f}s\n"
                f"report excerpt: {json.dumps(excerpt, indent=1)}\nCLI stderr: {self.stderr[-1500:]}")


class Ignite:
    """Runs the ignite binary with a private run directory and no colour, and
    measures its wall time and peak RSS (os.wait4)."""

    def __init__(self, binary, runs_dir, engine):
        self.binary = binary
        self.runs_dir = runs_dir
        self.engine = engine
        self.env = dict(os.environ)
        self.env["IGNITE_RUNS_DIR"] = str(runs_dir)
        self.env["NO_COLOR"] = "1"

    def __call__(self, *args, timeout=120):
        args = [str(a) for a in args]
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            t0 = time.monotonic()
            p = subprocess.Popen([str(self.binary), *args], stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=err, env=self.env)
            timer = threading.Timer(timeout, p.kill)
            timer.start()
            try:
                _, status, usage = os.wait4(p.pid, 0)
            finally:
                timer.cancel()
            p.returncode = os.waitstatus_to_exitcode(status)
            wall = time.monotonic() - t0
            out.seek(0)
            err.seek(0)
            res = Run(args, p.returncode, out.read().decode("utf-8", "replace"),
                      err.read().decode("utf-8", "replace"), wall, usage.ru_maxrss)
        assert p.returncode >= 0, f"ignite was killed after {timeout}s (hung?)\n{res}"
        return res

    def run(self, service_dir, *extra, input=None, runtime=None, audit=True, timeout=120):
        """`ignite run <dir> --json [--audit] [--runtime R] [--input JSON]`; checks
        that the run left no container behind."""
        args = ["run", str(service_dir), "--json"]
        if audit:
            args.append("--audit")
        if runtime:
            args += ["--runtime", runtime]
        if input is not None:
            args += ["--input", input if isinstance(input, str) else json.dumps(input)]
        args += list(extra)
        res = self(*args, timeout=timeout)
        run_id = (res.report or {}).get("runId")
        if run_id:
            left = self.engine.containers(MANAGED_LABEL, f"ignite.run={run_id}")
            assert not left, f"run {run_id} left its container behind: {describe(left)}\n{res}"
        return res


@pytest.fixture(scope="session")
def ignite(ignite_bin, runs_dir, engine):
    return Ignite(ignite_bin, runs_dir, engine)
