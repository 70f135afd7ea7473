#!/usr/bin/env bash
# Renders the nginx configuration that fronts a local ignite-fcgi, for
# `make run` (scripts/run.sh) and the HTTP and browser test suites.
#
#   scripts/stack.sh nginx-conf PREFIX PORT SOCKET [STATIC]
#
# prints a complete nginx.conf on stdout: nginx listens on 127.0.0.1:PORT,
# keeps its pid, logs and temp files under PREFIX (which must exist), passes
# FastCGI to the unix socket SOCKET and serves STATIC (default: the
# repository's static/) under /static/. Start it with
#
#   nginx -p PREFIX -e PREFIX/error.log -c PREFIX/nginx.conf
#
# The template is nginx/dev.conf.in (placeholders @PREFIX@ @PORT@ @SOCKET@
# @STATIC@). Sourced (`. scripts/stack.sh`), it defines stack_nginx_conf
# with the same arguments and nothing else.

STACK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Escapes a value for the right-hand side of a sed s||| command.
stack_sed_escape() {
  printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'
}

stack_nginx_conf() {
  local prefix=${1:?prefix} port=${2:?port} socket=${3:?socket} static=${4:-$STACK_ROOT/static}
  local tpl=$STACK_ROOT/nginx/dev.conf.in
  case $port in
  '' | *[!0-9]*) echo "stack.sh: port must be a number: $port" >&2; return 2 ;;
  esac
  for p in "$prefix" "$socket" "$static"; do
    case $p in
    /*) ;;
    *) echo "stack.sh: paths must be absolute: $p" >&2; return 2 ;;
    esac
  done
  if [ ! -f "$tpl" ]; then
    echo "stack.sh: $tpl is missing" >&2
    return 1
  fi
  sed -e "s|@PREFIX@|$(stack_sed_escape "$prefix")|g" \
      -e "s|@PORT@|$port|g" \
      -e "s|@SOCKET@|$(stack_sed_escape "$socket")|g" \
      -e "s|@STATIC@|$(stack_sed_escape "${static%/}")|g" "$tpl"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-}" in
  nginx-conf)
    shift
    stack_nginx_conf "$@"
    ;;
  *)
    echo "usage: $0 nginx-conf PREFIX PORT SOCKET [STATIC]" >&2
    exit 2
    ;;
  esac
fi
