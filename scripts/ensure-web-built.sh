#!/usr/bin/env bash
# Builds the web console (web/dist) when it is missing or older than its sources (console, contract, SDK).
# Fast when up to date: one find. YILIAN_SKIP_WEB_BUILD=1 skips it (API-only deployments).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${YILIAN_SKIP_WEB_BUILD:-0}" = 1 ] && exit 0
[ -f web/package.json ] || exit 0
stamp=web/dist/index.html
if [ -f "$stamp" ] && [ -z "$(find web/src web/public web/index.html web/vite.config.ts web/package.json contract/src client-sdk/src -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  exit 0
fi
echo "setup: building the web console" >&2
(cd web && NODE_ENV=production npx --no-install vite build --logLevel warn)
