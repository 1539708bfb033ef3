import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testContainersConf } from './container-image';

/** A fresh FLOW_HOME for one test file; removed by cleanup(). */
export function tempFlowHome(prefix = 'flow-test-'): { home: string; cleanup: () => void } {
  const home = mkdtempSync(join(tmpdir(), prefix));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/**
 * The env a test passes to Flow / the CLI: its own home, the pinned temporal binary, and the
 * containers.conf this VM's podman needs (so `flow doctor`'s container check passes where podman is).
 */
export function testEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, FLOW_HOME: home, NO_COLOR: '1', CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? testContainersConf(), ...extra };
  delete env.TEMPORAL_ADDRESS;
  delete env.TEMPORAL_PROFILE; // a profile in the caller's environment would point tests at its server
  delete env.TEMPORAL_CONFIG_FILE;
  return env;
}
