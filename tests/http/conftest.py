"""Fixtures of the HTTP suite: see harness.py."""
from harness import *  # noqa: F401,F403  (fixtures and the failure-report hook)
from harness import pytest_runtest_makereport  # noqa: F401
