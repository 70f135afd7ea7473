"""Fixtures of the browser suite: the stack harness of tests/http
(tests/http/harness.py) and a headless Chromium (cdp.py)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "http"))

from harness import *  # noqa: E402,F401,F403  (stack fixtures and the failure-report hook)
from harness import pytest_runtest_makereport  # noqa: E402,F401

from cdp import Chromium, find_chromium  # noqa: E402


@pytest.fixture(scope="module")
def browser(workdir):
    binary = find_chromium()
    if binary is None:
        pytest.fail("chromium is not installed (scripts/deps.sh installs it: apt-get install chromium)")
    c = Chromium(binary, str(workdir))
    yield c
    c.close()


@pytest.fixture(scope="module")
def shots(workdir):
    d = workdir / "screenshots"
    d.mkdir(exist_ok=True)
    return d
