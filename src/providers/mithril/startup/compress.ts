import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/**
 * The bootstrap flow-compute 3.28 sends when a script is too big to go inline (facts §3): the
 * script gzipped (level 9; Node writes mtime 0) as one base64 line, its sha256 checked before
 * anything runs, unpacked into a 0700 folder with umask 077, run, and removed.
 */
export function compressedBootstrap(script: string, originLine: string): string {
  const gz = gzipSync(Buffer.from(script, 'utf8'), { level: 9 });
  const hash = createHash('sha256').update(gz).digest('hex');
  return `#!/bin/bash
${originLine}
set -euo pipefail
COMPRESSED_SCRIPT=$(cat << 'EOF_COMPRESSED_SCRIPT'
${gz.toString('base64')}
EOF_COMPRESSED_SCRIPT
)
EXPECTED_HASH="${hash}"
ACTUAL_HASH=$(printf '%s' "$COMPRESSED_SCRIPT" | base64 -d | sha256sum | cut -d' ' -f1)
if [ "$ACTUAL_HASH" != "$EXPECTED_HASH" ]; then echo "flow: startup script checksum mismatch ($ACTUAL_HASH)" >&2; exit 1; fi
D=/var/lib/flow/run; install -d -m 700 "$D"
(umask 077; printf '%s' "$COMPRESSED_SCRIPT" | base64 -d | gzip -d > "$D/startup.sh")
RC=0; bash "$D/startup.sh" || RC=$?
rm -f "$D/startup.sh"
exit "$RC"
`;
}
