#!/usr/bin/env bash
# Starts or stops a Docker engine for `make run` and the test suites.
#
#   scripts/dockerd.sh start STATEFILE   start dockerd unless one answers; records
#                                        in STATEFILE whether we started it
#   scripts/dockerd.sh stop STATEFILE    stop dockerd only if STATEFILE says we started it
#
# The engine is reached at /var/run/docker.sock (or DOCKER_HOST if set).
set -euo pipefail

SOCK=/var/run/docker.sock
PIDFILE=/var/run/docker.pid
LOG=${DOCKERD_LOG:-/tmp/ignite-dockerd.log}

ping_engine() {
  curl -fsS --max-time 2 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1
}

case "${1:-}" in
start)
  state=${2:?state file}
  if ping_engine; then
    echo "external" > "$state"
    exit 0
  fi
  # A stale pid file from an abrupt stop makes dockerd refuse to start.
  if [ -f "$PIDFILE" ] && ! kill -0 "$(cat "$PIDFILE" 2>/dev/null)" 2>/dev/null; then
    rm -f "$PIDFILE"
  fi
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    nohup dockerd >"$LOG" 2>&1 &
    echo "$!" > "$state"
  else
    echo "external" > "$state"
  fi
  for _ in $(seq 1 120); do
    ping_engine && exit 0
    sleep 0.5
  done
  echo "dockerd did not answer on $SOCK within 60 s; its log ($LOG):" >&2
  tail -20 "$LOG" >&2 || true
  exit 1
  ;;
stop)
  state=${2:?state file}
  [ -f "$state" ] || exit 0
  pid=$(cat "$state")
  rm -f "$state"
  [ "$pid" = "external" ] && exit 0
  kill -TERM "$pid" 2>/dev/null || exit 0
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || exit 0
    sleep 0.5
  done
  kill -KILL "$pid" 2>/dev/null || true
  ;;
*)
  echo "usage: $0 start|stop STATEFILE" >&2
  exit 2
  ;;
esac
