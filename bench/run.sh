#!/usr/bin/env bash
# `make bench`: measures Ignite against `docker run` on this machine and
# writes bench/results.md and bench/results.json. See bench/README.md.
#
# Environment (all optional):
#   B=DIR                     build directory holding ignite and ignite-fcgi [build]
#   BENCH_N=30                latency samples per scenario (concurrency 1)
#   BENCH_DURATION=30         seconds per throughput phase
#   BENCH_ENDPOINT_DURATION=10  seconds of wrk per non-execute endpoint
#   BENCH_RSS_REQUESTS=10000  non-execute requests between the two RSS readings
#   BENCH_TRACE_N=8           executions traced for the Docker API call table
#   BENCH_WARM_POOL=2         --warm-pool of the warm daemon
#   BENCH_OUT=DIR             where results.md/results.json go [bench/]
#   BENCH_KEEP=1              keep the temporary prefix (logs) afterwards
#
# Exits 0 when the benchmark ran (whether or not the targets were met), 1 when
# it could not run. Needs root or the docker group, nginx, wrk (installed here when
# missing; scripts/deps.sh lists it too),
# the runtime images (make runtimes) and a running dockerd.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
py=${PYTHON:-/usr/bin/python3}
command -v "$py" >/dev/null 2>&1 || py=python3

if ! command -v wrk >/dev/null 2>&1; then
  echo "bench: installing wrk (apt)" >&2
  sudo=
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null ||
    { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
fi
exec "$py" "$root/bench/bench.py" "$@"
