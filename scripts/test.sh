#!/bin/sh
# `npm test`: set-up, typecheck, the layer check, the API reference check (TypeDoc over
# src/index.ts, no warning allowed: every exported symbol documented), then the whole suite on
# Redis 7 and every test that talks to a server again on Valkey 8 (the unit and package tests
# do not depend on the server, so they run once). SLOTLINE_SERVER picks the server the harness starts.
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-env.sh
npx tsc -p tsconfig.test.json
node scripts/check-layers.mjs
npm run --silent docs:check
echo "== the whole suite against $(redis-server --version | cut -d' ' -f1-3)"
SLOTLINE_SERVER=redis npx vitest run "$@"
echo "== every integration test against $(valkey-server --version | cut -d' ' -f1-3)"
SLOTLINE_SERVER=valkey npx vitest run test/integration "$@"
