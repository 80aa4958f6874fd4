#!/usr/bin/env bash
# Builds the web console (web/dist) when it is missing or older than its sources (console, contract, SDK).
# Fast when up to date: one find. Concurrent callers (parallel test files) serialise on a lock; the new build is
# swapped in atomically and keeps the previous hashed assets, so pages already open never hit a missing chunk.
# YILIAN_SKIP_WEB_BUILD=1 skips it (API-only deployments).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${YILIAN_SKIP_WEB_BUILD:-0}" = 1 ] && exit 0
[ -f web/package.json ] || exit 0
stale() {
  [ ! -f web/dist/index.html ] || [ -n "$(find web/src web/public web/index.html web/vite.config.ts web/package.json contract/src client-sdk/src -newer web/dist/index.html -print -quit 2>/dev/null)" ]
}
stale || exit 0
exec 9>"${TMPDIR:-/tmp}/yilian-web-build.lock"
flock 9
stale || exit 0
echo "setup: building the web console" >&2
tmp="dist.tmp-$$"
trap 'rm -rf "web/$tmp" "web/dist.old-$$"' EXIT
(cd web && NODE_ENV=production npx --no-install vite build --logLevel warn --outDir "$tmp" --emptyOutDir)
if [ -d web/dist/assets ]; then cp -np web/dist/assets/* "web/$tmp/assets/" 2>/dev/null || true; fi
rm -rf "web/dist.old-$$"
[ -d web/dist ] && mv web/dist "web/dist.old-$$"
mv "web/$tmp" web/dist
rm -rf "web/dist.old-$$"
# Previous builds' chunks (kept above with their own mtime) go after an hour.
find web/dist/assets -type f -mmin +60 -delete
