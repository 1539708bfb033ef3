import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const RECORDER = join(__dirname, '..', 'fixtures', 'record-loaded-modules.js');

/** The Temporal client and what it pulls in (gRPC, the native core): what the daemon path avoids. */
export const TEMPORAL_CLIENT_MODULE = /[\\/]node_modules[\\/](@temporalio[\\/](client|worker|core-bridge)|@grpc[\\/]grpc-js)[\\/]/;

/**
 * An env whose node processes record the modules they load; `loaded()` returns, per process
 * (by pid), the module paths it had loaded when it exited.
 */
export function recordingModules(env: NodeJS.ProcessEnv, parentDir: string): { env: NodeJS.ProcessEnv; loaded: () => Map<number, string[]> } {
  const dir = mkdtempSync(join(parentDir, 'modules-'));
  return {
    env: { ...env, NODE_OPTIONS: `--require "${RECORDER}"`, FLOW_TEST_MODULES_DIR: dir },
    loaded: () =>
      new Map(readdirSync(dir).map((file) => [Number(file.replace(/\.txt$/, '')), readFileSync(join(dir, file), 'utf8').split('\n')])),
  };
}
