#!/usr/bin/env bash
# Runs Ignite's libFuzzer drivers (tests/fuzz/README.md).
#
#   tests/fuzz/run.sh [--brief] [--counts FILE] [target…]
#
#   --brief        each target for IGNITE_FUZZ_SECONDS (default 20) on a
#                  scratch copy of its corpus; the checked-in corpus is never
#                  changed (what `make test` runs)
#   (default)      each target for IGNITE_FUZZ_SECONDS (default 300), then
#                  the inputs that add coverage are merged back into
#                  tests/fuzz/corpus/<target> with -merge=1 (what `make fuzz`
#                  runs); IGNITE_FUZZ_MERGE=0 skips the merge
#   --counts FILE  write "<passed> <failed> 0" there: one passed per target
#                  that ran its time without a finding, one failed per finding
#   target…        only these (service policy lock yamldoc config execute
#                  adhoc template docker demux channel keys runtime); default all
#
# Builds the drivers first (make B=$B fuzzers). Prints one line per target
# with its exec count; a crash, hang (-timeout=10), leak or out-of-memory
# (-rss_limit_mb=2048) fails the target, leaves the input under
# $B/fuzz/artifacts/<target>/ and prints its path and the report's stack.
# Exit status is non-zero when any target failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
B=${B:-build}
BRIEF=0
COUNTS=
TARGETS=()
while [ $# -gt 0 ]; do
  case "$1" in
  --brief) BRIEF=1 ;;
  --counts) COUNTS=$2; shift ;;
  -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
  -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  *) TARGETS+=("$1") ;;
  esac
  shift
done
if [ "$BRIEF" -eq 1 ]; then SECONDS_EACH=${IGNITE_FUZZ_SECONDS:-20}; else SECONDS_EACH=${IGNITE_FUZZ_SECONDS:-300}; fi
if [ "${#TARGETS[@]}" -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.c; do t=${f#tests/fuzz/fuzz_}; TARGETS+=("${t%.c}"); done
fi

PASSED=0 FAILED=0
finish() {
  [ -n "$COUNTS" ] && echo "$PASSED $FAILED 0" >"$COUNTS"
  echo "fuzz: $PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
  exit $?
}

SCRATCH=$(mktemp -d /tmp/ignite-fuzz.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT

bins=()
for t in "${TARGETS[@]}"; do bins+=("$B/fuzz/fuzz_$t"); done
if ! make -s --no-print-directory -j"$(nproc)" B="$B" "${bins[@]}" >"$SCRATCH/build.log" 2>&1; then
  echo "FAIL fuzz: building the drivers failed:"
  tail -30 "$SCRATCH/build.log" | sed 's/^/    /'
  FAILED=$((FAILED + ${#TARGETS[@]}))
  finish
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export IGNITE_FUZZ_RUNTIMES=${IGNITE_FUZZ_RUNTIMES:-$ROOT/runtimes/runtimes.json}

for t in "${TARGETS[@]}"; do
  bin=$B/fuzz/fuzz_$t
  seeds=tests/fuzz/corpus/$t
  art=$B/fuzz/artifacts/$t
  log=$B/fuzz/logs/$t.log
  mkdir -p "$art" "$(dirname "$log")" "$SCRATCH/$t"
  if [ ! -x "$bin" ]; then
    echo "FAIL fuzz $t: no driver $bin"
    FAILED=$((FAILED + 1))
    continue
  fi
  [ -d "$seeds" ] || mkdir -p "$seeds"
  if [ "$BRIEF" -eq 1 ]; then
    # A scratch copy: new inputs land there, never in the checked-in corpus.
    cp -R "$seeds/." "$SCRATCH/$t/"
    dirs=("$SCRATCH/$t")
  else
    # New inputs land in the scratch directory; merged back below.
    dirs=("$SCRATCH/$t" "$seeds")
  fi
  before=$(find "$SCRATCH/$t" -type f | wc -l)
  "$bin" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$art/" -close_fd_mask=1 \
    "${dirs[@]}" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [ -n "$execs" ] || execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
  execs=${execs:-0}
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  new=$(( $(find "$SCRATCH/$t" -type f | wc -l) - before ))
  found=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
  if [ "$rc" -eq 0 ] && [ -z "$found" ]; then
    printf 'ok   fuzz %-9s %9s execs in %ss, coverage %s, %s new inputs\n' \
      "$t" "$execs" "$SECONDS_EACH" "${cov:-?}" "$new"
    PASSED=$((PASSED + 1))
  else
    kind=$(grep -oE 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer): [a-zA-Z -]+|runtime error: .*|fuzz property failed: .*' "$log" | head -1)
    printf 'FAIL fuzz %-9s after %s execs (exit %s): %s\n' "$t" "$execs" "$rc" "${kind:-see log}"
    echo "    input: ${found:-none written}"
    echo "    log:   $log"
    # The report's stack, without the sanitizer's and libFuzzer's frames.
    grep -E '^ *#[0-9]+ 0x' "$log" | grep -vE 'fuzzer::|__sanitizer|libc\.so|nptl/|raise\.c|abort\.c' |
      sed -e 's/^ */    /' -e 's/ (BuildId: [0-9a-f]*)//' | head -12
    FAILED=$((FAILED + 1))
  fi
  if [ "$BRIEF" -eq 0 ] && [ "${IGNITE_FUZZ_MERGE:-1}" = 1 ] && [ "$new" -gt 0 ]; then
    # Only inputs that add coverage, and none over 64 KiB.
    "$bin" -merge=1 -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix="$art/" "$seeds" "$SCRATCH/$t" >"$log.merge" 2>&1 || \
      echo "    merge into $seeds failed: $log.merge"
    size=$(du -sk --apparent-size "$seeds" | cut -f1)
    echo "    corpus $seeds: $(find "$seeds" -type f | wc -l) files, ${size} KiB"
    [ "$size" -le 1024 ] || echo "    corpus $seeds is over 1 MiB: minimise it (README.md)"
  fi
  rm -rf "${SCRATCH:?}/$t"
done
finish
