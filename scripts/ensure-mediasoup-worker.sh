#!/usr/bin/env bash
# Prints the mediasoup-worker binary to use, for `export MEDIASOUP_WORKER_BIN=$(...)`.
# - MEDIASOUP_WORKER_BIN already set to an executable: print it unchanged.
# - YILIAN_MEDIASOUP_PREBUILT=1 (machines that can reach GitHub): print nothing, so the
#   mediasoup npm package downloads its own prebuilt worker on install.
# - Otherwise: offline build via build-mediasoup-worker.sh (cached; instant when built).
set -euo pipefail

if [ -n "${MEDIASOUP_WORKER_BIN:-}" ]; then
  if [ -x "$MEDIASOUP_WORKER_BIN" ]; then
    echo "$MEDIASOUP_WORKER_BIN"
    exit 0
  fi
  echo "ensure-mediasoup-worker: MEDIASOUP_WORKER_BIN=$MEDIASOUP_WORKER_BIN is not executable; building" >&2
fi

if [ "${YILIAN_MEDIASOUP_PREBUILT:-}" = 1 ]; then
  exit 0
fi

exec "$(dirname "${BASH_SOURCE[0]}")/build-mediasoup-worker.sh"
