#!/usr/bin/env bash
# Installs the Debian packages Ignite builds, runs and tests with, when missing.
# Idempotent: does nothing when everything is there.
set -euo pipefail

PKGS=(
  build-essential pkg-config
  libfcgi-dev libyaml-dev libjson-c-dev libcurl4-openssl-dev libscrypt-dev libssl-dev
  libcmocka-dev
  nginx docker.io
  wrk
  curl ca-certificates
  python3 python3-pytest
  clang libclang-rt-14-dev valgrind
  chromium chromium-driver
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# npm fetches the runtime packages; any Node.js with npm will do.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
