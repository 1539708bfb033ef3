import { STARTUP_LOG } from './layout';

// The version goes into the FLOW_ORIGIN line, as the CLI reads it (src/cli/main.ts).
const SDK_VERSION: string = require('../../../../../package.json').version;

/** Text for a one-line comment: no line breaks or control characters. */
function commentText(value: string): string {
  return value.replace(/[\x00-\x1f\x7f]/g, '?');
}

/**
 * The first lines every script has: bash with `set -euo pipefail` (never `set -x`, which would
 * print env values), the FLOW_ORIGIN line, a root check, and the script's output appended to the
 * startup log while still reaching the console.
 */
export function headerSection(taskId: string): string {
  return `#!/bin/bash
# FLOW_ORIGIN: flow-sdk v${SDK_VERSION} task:${commentText(taskId)}
set -euo pipefail
set +x
export FLOW_ORIGIN=flow-sdk
export PATH="\${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}" HOME="\${HOME:-/root}"
umask 022
mkdir -p ${STARTUP_LOG.slice(0, STARTUP_LOG.lastIndexOf('/'))}
exec > >(tee -a ${STARTUP_LOG}) 2>&1
log() { printf '[flow %s] %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
if [ "$(id -u)" != 0 ]; then log "the startup script must run as root"; exit 1; fi
log "startup begins"`;
}
