#!/usr/bin/env bash
# Idempotent preparation run before `npm start` and `npm test`:
#  - Debian packages (when root and something is missing),
#  - the mediasoup worker binary (built offline from Debian's libraries, cached per mediasoup version),
#  - the Prisma client (generated explicitly: dependency install scripts are not run, see .npmrc).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${YILIAN_SKIP_APT:-0}" != 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  bash scripts/install-system-deps.sh
fi

bin="$(bash scripts/ensure-mediasoup-worker.sh | tail -n 1)"
if [ -n "$bin" ]; then
  mkdir -p .cache && printf '%s\n' "$bin" > .cache/mediasoup-worker-path
elif [ ! -x node_modules/mediasoup/worker/out/Release/mediasoup-worker ]; then
  # YILIAN_MEDIASOUP_PREBUILT=1 on a machine with internet: mediasoup's own install (prebuilt download).
  npm rebuild mediasoup --ignore-scripts=false
fi

# Regenerate the Prisma client when the schema changed since the last generation.
stamp=node_modules/.prisma/client/.yilian-schema-sha
sum="$(cat prisma/schema/*.prisma | sha256sum | cut -d" " -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ] || [ ! -f node_modules/.prisma/client/index.js ]; then
  npx prisma generate >/dev/null
  printf '%s' "$sum" > "$stamp"
fi
# Build the web console when web/dist is missing or older than its sources.
bash scripts/ensure-web-built.sh

# Browser SDK bundle and its example page (served under /sdk/): rebuilt when missing or older than its sources.
sdk=client-sdk/dist/yilian-sdk.js
if [ ! -f "$sdk" ] || [ -n "$(find client-sdk/src client-sdk/example client-sdk/build.ts -newer "$sdk" 2>/dev/null | head -n 1)" ]; then
  npx tsx client-sdk/build.ts >/dev/null
fi
echo "setup: ok" >&2
