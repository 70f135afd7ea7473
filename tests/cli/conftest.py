"""Fixtures for the `ignite` CLI suite: the binaries, a scratch directory, and
a runner that keeps the environment under control (no colour, a private run
directory)."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("IGNITE_ROOT", Path(__file__).resolve().parents[2]))
BUILD = Path(os.environ.get("IGNITE_BUILD", ROOT / "build"))


@pytest.fixture(scope="session")
def root():
    return ROOT


def _binary(path):
    if not path.exists():
        pytest.fail(f"{path} is missing: build it first (make all {path})")
    return path


@pytest.fixture(scope="session")
def ignite_bin():
    return _binary(BUILD / "ignite")


@pytest.fixture(scope="session")
def ignite_asan_bin():
    return _binary(BUILD / "asan" / "ignite")


class Runner:
    def __init__(self, binary, runs_dir):
        self.binary = binary
        self.env = dict(os.environ)
        self.env["IGNITE_RUNS_DIR"] = str(runs_dir)
        self.env["NO_COLOR"] = "1"
        self.env["ASAN_OPTIONS"] = "detect_leaks=1:exitcode=99"
        self.env["UBSAN_OPTIONS"] = "halt_on_error=1:exitcode=98:print_stacktrace=1"

    def __call__(self, *args, cwd=None, env=None, timeout=60):
        e = dict(self.env)
        if env:
            e.update(env)
        return subprocess.run([str(self.binary), *map(str, args)], capture_output=True,
                              text=True, errors="replace", cwd=cwd, env=e, timeout=timeout)


@pytest.fixture
def ignite(ignite_bin, tmp_path):
    return Runner(ignite_bin, tmp_path / "runs")


@pytest.fixture
def ignite_asan(ignite_asan_bin, tmp_path):
    return Runner(ignite_asan_bin, tmp_path / "runs")


def assert_no_sanitizer(result):
    """A sanitizer report is a failure whatever the exit code."""
    for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer"):
        assert marker not in result.stderr, result.stderr
    assert result.returncode not in (98, 99), result.stderr
