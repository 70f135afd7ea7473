#!/usr/bin/env bash
# Soak test (issue 7): mixed valid, invalid and hostile traffic through nginx
# into one ignite-fcgi at concurrency 16, against the Docker engine the suites
# share; then 0 crashes, 0 leaked containers, 0 lost or corrupt runs, flat
# descriptors and RSS. See tests/soak/soak.py.
#
#   tests/soak/run.sh [DURATION]     seconds, or Ns / Nm (default 10m)
#
# `make soak` runs it for SOAK_DURATION (600 s); `make test` runs a short one
# through tests/soak/test_soak.py. B (build directory, default build) or
# IGNITE_BUILD select the binaries; SOAK_JSON=FILE keeps the figures there.
set -euo pipefail
cd "$(dirname "$0")/../.."

dur=${1:-10m}
case $dur in
*m) secs=${dur%m}; mult=60 ;;
*s) secs=${dur%s}; mult=1 ;;
*) secs=$dur; mult=1 ;;
esac
case $secs in
'' | *[!0-9]*) echo "usage: $0 [SECONDS|Ns|Nm]" >&2; exit 2 ;;
esac
secs=$((secs * mult))

export IGNITE_ROOT=$PWD
export IGNITE_BUILD=${IGNITE_BUILD:-$PWD/${B:-build}}
for b in ignite ignite-fcgi; do
	[ -x "$IGNITE_BUILD/$b" ] || { echo "soak: $IGNITE_BUILD/$b is missing (make B=... all)" >&2; exit 1; }
done
# The services run on node@24; a no-op when the image is current.
runtimes/build.sh node@24 >/dev/null

exec "${PYTHON:-/usr/bin/python3}" tests/soak/soak.py --duration "$secs" ${SOAK_JSON:+--json "$SOAK_JSON"}
