#!/bin/sh
# Makes sure what `npm test`, `npm run demo` and `npm run bench` need is present:
# redis-server and valkey-server on PATH (the test harness spawns both: the suite runs once
# per server) and node_modules in step with package-lock.json. Silent when there is nothing
# to do. POSIX sh on purpose.
set -eu

cd "$(dirname "$0")/.."

as_root=""
need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      as_root="sudo"
    else
      echo "ensure-env: not root and no sudo; install $1 yourself" >&2
      exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-env: no apt-get here; install $1 and put it on PATH" >&2
    exit 1
  fi
}

if ! command -v redis-server >/dev/null 2>&1; then
  echo "ensure-env: redis-server not found; installing it with apt-get" >&2
  need_root "redis-server (>= 7)"
  $as_root apt-get update -qq
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi

# Debian bookworm has no Valkey; its backports suite has 8.0.1. The suite is added with the
# same mirror and keyring as the Debian entry already configured.
if ! command -v valkey-server >/dev/null 2>&1; then
  echo "ensure-env: valkey-server not found; installing it from bookworm-backports" >&2
  need_root "valkey-server (>= 8)"
  list=/etc/apt/sources.list.d/slotline-bookworm-backports.sources
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    uris=$(sed -n 's/^URIs: *\(.*debian\/*\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
    keyring=$(sed -n 's/^Signed-By: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: %s\n' \
      "${uris:-http://deb.debian.org/debian}" "${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}" \
      | $as_root tee "$list" >/dev/null
  fi
  $as_root apt-get update -qq
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports \
    valkey-server valkey-tools valkey-sentinel >/dev/null
fi

# npm writes node_modules/.package-lock.json on every install, so its age is the age of
# the installed tree.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "ensure-env: node_modules missing or older than package-lock.json; running npm ci" >&2
  npm ci --no-audit --no-fund
fi
