#!/usr/bin/env bash
# Runs Ignite's test suites and ends with one summary line:
#   "total: N passed, N failed, N skipped"
#
#   tests/run-suites.sh unit        C unit tests (cmocka)
#   tests/run-suites.sh unit-asan   the same under AddressSanitizer + UBSan
#   tests/run-suites.sh cli         the ignite CLI, as a user runs it (pytest)
#   tests/run-suites.sh docker      against a real dockerd: C engine tests, then pytest
#   tests/run-suites.sh all         everything; starts (and stops) dockerd, builds runtimes
#
# Exit status is non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
B=${B:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
RESULTS=$(mktemp -d /tmp/ignite-results.XXXXXX)
PASSED=0 FAILED=0 SKIPPED=0

add() { PASSED=$((PASSED + $1)); FAILED=$((FAILED + $2)); SKIPPED=$((SKIPPED + $3)); }

# One cmocka binary, TAP output: counts "ok" / "not ok"; a crash counts as a failure.
run_cmocka() {
  local bin=$1 label=$2 out rc ok nok
  out=$RESULTS/$(basename "$bin").$label.tap
  CMOCKA_MESSAGE_OUTPUT=TAP ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$bin" >"$out" 2>&1
  rc=$?
  ok=$(grep -cE '^ok [0-9]+' "$out")
  nok=$(grep -cE '^not ok [0-9]+' "$out")
  if [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then nok=1; fi
  if [ "$nok" -ne 0 ]; then
    echo "FAIL $label $(basename "$bin") (exit $rc):"
    grep -vE '^ok [0-9]+' "$out" | tail -40 | sed 's/^/    /'
  else
    echo "ok   $label $(basename "$bin"): $ok"
  fi
  add "$ok" "$nok" 0
}

suite_unit() {
  local dir=$1 label=$2 bin found=0
  for bin in "$dir"/test_*; do
    [ -x "$bin" ] || continue
    found=1
    run_cmocka "$bin" "$label"
  done
  [ "$found" -eq 1 ] || { echo "FAIL $label: no unit test binaries in $dir"; add 0 1 0; }
}

# pytest over a directory; counts from its JUnit XML.
suite_pytest() {
  local dir=$1 label=$2 xml counts
  xml=$RESULTS/$label.xml
  shift 2
  IGNITE_ROOT=$ROOT IGNITE_BUILD=$ROOT/$B "$PYTHON" -m pytest -q -p no:cacheprovider \
    --junitxml="$xml" "$@" "$dir" 2>&1 | tail -n 60
  if [ ! -s "$xml" ]; then
    echo "FAIL $label: pytest produced no results"
    add 0 1 0
    return
  fi
  counts=$("$PYTHON" - "$xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = f = s = 0
for su in suites:
    t += int(su.get("tests", 0)); s += int(su.get("skipped", 0))
    f += int(su.get("failures", 0)) + int(su.get("errors", 0))
print(t - f - s, f, s)
PY
)
  # shellcheck disable=SC2086
  add $counts
}

DOCKERD_STATE=
start_engine() {
  DOCKERD_STATE=$RESULTS/dockerd.state
  scripts/dockerd.sh start "$DOCKERD_STATE" || { echo "FAIL: no Docker engine"; add 0 1 0; return 1; }
  runtimes/build.sh || { echo "FAIL: runtime images"; add 0 1 0; return 1; }
}
stop_engine() {
  [ -n "$DOCKERD_STATE" ] && scripts/dockerd.sh stop "$DOCKERD_STATE"
  DOCKERD_STATE=
}
trap 'stop_engine; rm -rf "$RESULTS"' EXIT

case "${1:-all}" in
unit)      suite_unit "$B/tests" unit ;;
unit-asan) suite_unit "$B/asan/tests" unit-asan ;;
cli)       suite_pytest tests/cli cli ;;
docker)    start_engine && { suite_unit "$B/engine" engine; suite_pytest tests/integration docker;
             suite_pytest tests/http http tests/browser
             IGNITE_TEST_WARM_POOL=1 suite_pytest tests/http http-warm; } ;;
all)
  suite_unit "$B/tests" unit
  suite_unit "$B/asan/tests" unit-asan
  suite_pytest tests/cli cli
  tests/fuzz/run.sh --brief --counts "$RESULTS/fuzz.counts"; add $(cat "$RESULTS/fuzz.counts" 2>/dev/null || echo 0 1 0)
  if start_engine; then
    suite_unit "$B/engine" engine
    if [ -d tests/integration ] && ls tests/integration/test_*.py >/dev/null 2>&1; then
      suite_pytest tests/integration docker
    fi
    suite_pytest tests/http http tests/browser
    # The HTTP execution tests again, every daemon with a warm pool: results,
    # limits, audit events and reports must not depend on it.
    IGNITE_TEST_WARM_POOL=1 suite_pytest tests/http http-warm
    suite_pytest tests/faults faults; IGNITE_SOAK_SECONDS=60 suite_pytest tests/soak soak
  fi
  ;;
*) echo "usage: $0 unit|unit-asan|cli|docker|all" >&2; exit 2 ;;
esac

echo
echo "total: $PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
