"""Fixtures of the fault suite (issue 7): real nginx + real ignite-fcgi in
front of a private dockerd that the tests stop, kill and restart.

- `workdir`: a short temporary directory (unix socket paths) holding the
  services (examples/hello, examples/data-processor, tests/http/services'
  long-sleeper and slow-print, and this suite's services/), the keys file,
  the private engine's root and one directory per stack.
- `engine`: the private dockerd (faultkit.PrivateEngine), started once with
  the node@24 runtime image loaded. A test that stops or kills it must start
  it again; the fixture checks that it is up before every test.
- `make_stack(name, *args, runs=None, services=None, start=True)`: a
  harness.Stack pointed at the private engine (--docker-host), stopped when
  the test ends.
- At the end: no container labelled ignite.managed=1 remains in the private
  engine; then it is stopped and its directory removed.
"""
import os
import shutil
import tempfile
from pathlib import Path

import pytest

import faultkit
from faultkit import BUILD, ROOT, PrivateEngine, harness, wait_for

HERE = Path(__file__).resolve().parent
HTTP_SERVICES = ROOT / "tests" / "http" / "services"

_TEST_STACKS = []


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes tens of seconds (valgrind)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for s in _TEST_STACKS:
            rep.sections.append((f"ignite-fcgi log, stack {s.name} ({s.log_path})", s.log_tail(40)))
        eng = getattr(item, "_private_engine", None)
        if eng is not None:
            rep.sections.append(("private dockerd log", eng.log_tail()))


@pytest.fixture(scope="session")
def binaries():
    for b in ("ignite", "ignite-fcgi"):
        if not (BUILD / b).exists():
            pytest.fail(f"{BUILD / b} is missing: build it first (make B={BUILD.name} {BUILD / b})")
    if not Path(harness.NGINX).exists():
        pytest.fail("nginx is not installed")
    if shutil.which("dockerd") is None:
        pytest.fail("dockerd is not installed")
    return BUILD


@pytest.fixture(scope="session")
def workdir():
    d = Path(tempfile.mkdtemp(prefix="igf", dir="/tmp"))
    os.chmod(d, 0o755)
    yield d
    if not os.environ.get("IGNITE_KEEP_TMP"):
        faultkit.unmount_under(d)
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def services_dir(workdir):
    d = workdir / "services"
    d.mkdir()
    for name in ("hello", "data-processor"):
        harness._copy_service(ROOT / "examples" / name, d / name)
    for name in ("long-sleeper", "slow-print"):
        harness._copy_service(HTTP_SERVICES / name, d / name)
    for src in sorted((HERE / "services").iterdir()):
        if src.is_dir():
            harness._copy_service(src, d / src.name)
    return d


@pytest.fixture(scope="session")
def keys(workdir, binaries):
    k = harness.Keys(workdir / "keys")
    k.add("admin", "admin")
    k.add("read", "read")
    k.add("execute", "execute")
    return k


@pytest.fixture(scope="session")
def _engine_session(workdir, binaries):
    eng = PrivateEngine(workdir / "e")
    eng.start()
    try:
        eng.load_images()
    except Exception:
        eng.destroy()
        raise
    yield eng
    leaked = []
    if not eng.alive():
        eng.start()
    try:
        if not wait_for(lambda: not eng.managed(), 20):
            leaked = [{"id": c["Id"][:12], "state": c.get("State"), "labels": c.get("Labels")}
                      for c in eng.managed()]
            eng.remove_managed()
    finally:
        eng.destroy()
    assert not leaked, f"containers left behind in the private engine: {leaked}"


@pytest.fixture
def engine(_engine_session, request):
    """The private engine, up at the start of the test."""
    eng = _engine_session
    if not eng.alive():
        eng.start()
    request.node._private_engine = eng
    yield eng
    if not eng.alive():      # a test that failed half-way
        eng.start()


@pytest.fixture
def make_stack(engine, workdir, services_dir, keys):
    mine = []

    def make(name, *args, runs=None, services=None, start=True, docker_host=None):
        a = ["--docker-host", docker_host or engine.host, "--rate-limit", "100000",
             "--auth-failure-limit", "100000", "--shutdown-grace", "10", *args]
        s = harness.Stack(name, workdir, services or services_dir, keys.path, a, runs=runs,
                          owner=mine)
        _TEST_STACKS.append(s)
        if start:
            s.start()
        return s

    yield make
    for s in mine:
        try:
            s.stop()
        except Exception:
            pass
    _TEST_STACKS.clear()
