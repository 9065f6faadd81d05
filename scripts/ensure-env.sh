#!/bin/sh
# Makes sure what `npm test`, `npm run demo` and `npm run bench` need is present:
# redis-server on PATH (the test harness spawns it) and node_modules in step with
# package-lock.json. Silent when there is nothing to do. POSIX sh on purpose.
set -eu

cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
  echo "ensure-env: redis-server not found; installing it with apt-get" >&2
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-env: no apt-get here; install redis-server (>= 7) and put it on PATH" >&2
    exit 1
  fi
  as_root=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      as_root="sudo"
    else
      echo "ensure-env: not root and no sudo; install redis-server yourself" >&2
      exit 1
    fi
  fi
  $as_root apt-get update -qq
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi

# npm writes node_modules/.package-lock.json on every install, so its age is the age of
# the installed tree.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "ensure-env: node_modules missing or older than package-lock.json; running npm ci" >&2
  npm ci --no-audit --no-fund
fi
