#!/usr/bin/env bash
# Runs Ignite locally: what `make run` does once dependencies are installed
# and the programs are built (DESIGN §10).
#
#   scripts/run.sh [PORT]        (default: $PORT, else 8080)
#
# 1. starts dockerd unless an engine already answers (scripts/dockerd.sh),
# 2. builds the runtime images (runtimes/build.sh; quick when up to date),
# 3. creates a state directory with the example services, a runs directory
#    and a keys file holding one fresh admin key,
# 4. starts ignite-fcgi on a unix socket in it and nginx on 127.0.0.1:PORT
#    (nginx/dev.conf.in, rendered by scripts/stack.sh),
# 5. prints the URL, the key and a ready curl line, then stays in the
#    foreground with ignite-fcgi's log on stderr.
#
# Ctrl-C or SIGTERM stops nginx, ignite-fcgi and — only if this script
# started it — dockerd, then removes the state directory.
#
# Environment:
#   IGNITE_BUILD       directory holding ignite and ignite-fcgi (default <repo>/$B, B=build)
#   IGNITE_RUN_DIR     use (and keep) this state directory instead of a temporary one
#   IGNITE_LOG_FORMAT  ignite-fcgi's log format: text (default) or json
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${1:-${PORT:-8080}}
BUILD=${IGNITE_BUILD:-$ROOT/${B:-build}}
IGNITE=$BUILD/ignite
FCGI=$BUILD/ignite-fcgi
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
LOG_FORMAT=${IGNITE_LOG_FORMAT:-text}

# shellcheck source=scripts/stack.sh
. "$ROOT/scripts/stack.sh"

say() { printf 'run: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

case $PORT in
'' | *[!0-9]*) die "PORT must be a number, not '$PORT'" ;;
esac
[ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "PORT must be 1..65535, not $PORT"
for b in "$IGNITE" "$FCGI"; do
  [ -x "$b" ] || die "$b is missing: build first (make)"
done
[ -x "$NGINX" ] || die "nginx is not installed (scripts/deps.sh installs it)"
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  die "127.0.0.1:$PORT is already in use; choose another port: make run PORT=8081"
fi

KEEP_STATE=0
if [ -n "${IGNITE_RUN_DIR:-}" ]; then
  STATE=$IGNITE_RUN_DIR
  KEEP_STATE=1
  mkdir -p "$STATE" || die "cannot create $STATE"
else
  STATE=$(mktemp -d /tmp/ignite-run.XXXXXX) || die "cannot create a state directory"
fi
STATE=$(cd "$STATE" && pwd)
chmod 755 "$STATE"

FCGI_PID=
NGINX_PID=
DOCKERD_STATE=$STATE/dockerd.state

# Stops a child: SIGTERM, up to $2 seconds, then SIGKILL.
stop_child() {
  local pid=$1 grace=$2 i
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid did not stop within ${grace}s; killing it"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  return 0
}

cleanup() {
  trap - EXIT INT TERM
  say "stopping"
  stop_child "$NGINX_PID" 10
  stop_child "$FCGI_PID" 40
  "$ROOT/scripts/dockerd.sh" stop "$DOCKERD_STATE" || true
  if [ "$KEEP_STATE" -eq 0 ]; then
    rm -rf "$STATE"
  else
    rm -f "$STATE/fcgi.sock"
  fi
  say "stopped"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# 1-2. The engine and the runtime images.
"$ROOT/scripts/dockerd.sh" start "$DOCKERD_STATE" || die "no Docker engine"
if [ "$(cat "$DOCKERD_STATE" 2>/dev/null)" != "external" ]; then
  say "started dockerd (pid $(cat "$DOCKERD_STATE")); it stops with this script"
fi
"$ROOT/runtimes/build.sh" >&2 || die "building the runtime images failed"

# 3. Services, runs, a fresh admin key.
mkdir -p "$STATE/services" "$STATE/runs" "$STATE/nginx"
for d in "$ROOT"/examples/*/; do
  name=$(basename "$d")
  rm -rf "${STATE:?}/services/$name"
  cp -R "$d" "$STATE/services/$name"
done
chmod -R a+rX "$STATE/services"
KEY=$("$IGNITE" keys add "make-run-$(date +%Y%m%d-%H%M%S)" --scope admin --file "$STATE/keys" 2>/dev/null) ||
  die "could not create an API key in $STATE/keys"

# 4. ignite-fcgi, then nginx in front of it.
SOCK=$STATE/fcgi.sock
"$FCGI" --socket "$SOCK" --socket-mode 0660 --services "$STATE/services" --runs "$STATE/runs" \
  --keys "$STATE/keys" --log-format "$LOG_FORMAT" &
FCGI_PID=$!
for _ in $(seq 1 200); do
  [ -S "$SOCK" ] && break
  kill -0 "$FCGI_PID" 2>/dev/null || die "ignite-fcgi exited at start-up (see above)"
  sleep 0.1
done
[ -S "$SOCK" ] || die "ignite-fcgi did not open $SOCK"

stack_nginx_conf "$STATE/nginx" "$PORT" "$SOCK" "$ROOT/static" > "$STATE/nginx/nginx.conf" ||
  die "cannot render the nginx configuration"
"$NGINX" -p "$STATE/nginx" -e "$STATE/nginx/error.log" -c "$STATE/nginx/nginx.conf" &
NGINX_PID=$!
up=0
for _ in $(seq 1 150); do
  kill -0 "$NGINX_PID" 2>/dev/null || break
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/api/health"; then
    up=1
    break
  fi
  sleep 0.1
done
if [ "$up" -ne 1 ]; then
  tail -5 "$STATE/nginx/error.log" >&2 2>/dev/null
  die "nginx did not answer on 127.0.0.1:$PORT"
fi

# 5. Tell the user, then stay in the foreground.
URL="http://127.0.0.1:$PORT"
cat <<EOF

  Ignite is running at $URL/

  API key (admin scope; shown only now):
    $KEY

  Try it:
    curl -H 'Authorization: Bearer $KEY' $URL/api/services/hello/execute -H 'Content-Type: application/json' -d '{"input":{"name":"you"}}'

  Report pages: $URL/login (paste the key)
  State:        $STATE$([ "$KEEP_STATE" -eq 0 ] && echo " (removed on exit)")
  nginx logs:   $STATE/nginx/error.log, access.log

  ignite-fcgi's log follows. Ctrl-C stops everything.

EOF

wait -n "$FCGI_PID" "$NGINX_PID"
if ! kill -0 "$FCGI_PID" 2>/dev/null; then
  say "ignite-fcgi exited unexpectedly"
else
  say "nginx exited unexpectedly; its log: $STATE/nginx/error.log"
  tail -5 "$STATE/nginx/error.log" >&2 2>/dev/null
fi
exit 1
