#!/usr/bin/env bash
# `npm test`: prepares the machine (idempotent), then runs the whole jest suite and ends with one
# "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
mkdir -p test-output
npx jest --ci --json --outputFile=test-output/jest-results.json "$@"
status=$?
if [ -f test-output/jest-results.json ]; then
  node -e 'const r=require("./test-output/jest-results.json");console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`+(r.numPendingTests?`, ${r.numPendingTests} skipped`:""))'
fi
exit $status
