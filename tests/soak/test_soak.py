"""The soak of tests/soak/soak.py as a test: IGNITE_SOAK_SECONDS long
(default 60), for `make test` (tests/run-suites.sh). `make soak` runs the
long one through tests/soak/run.sh."""
import json
import os

import soak


def test_soak():
    seconds = float(os.environ.get("IGNITE_SOAK_SECONDS", "60"))
    failures, figures = soak.soak(seconds, concurrency=16)
    print("soak figures:", json.dumps(figures, indent=1))
    assert not failures, "\n".join(failures)
