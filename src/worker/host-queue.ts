import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostQueueName } from '../domain/host-affinity';

/** The file in FLOW_HOME naming this host; created once, so a restarted worker polls the same queue. */
export function hostIdFile(home: string): string {
  return join(home, 'host-id');
}

/**
 * The task queue of the machine that keeps this FLOW_HOME (the local provider's instance folders
 * and processes live there): `flow-host-<id>`. Every worker process of the home polls it, so a
 * local instance's later steps reach the host that provisioned it.
 */
export function hostQueueFor(home: string): string {
  const file = hostIdFile(home);
  try {
    return hostQueueName(readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(home, { recursive: true, mode: 0o700 });
  try {
    // 'wx': two processes of one home starting at once agree on the first id written.
    writeFileSync(file, `${randomBytes(8).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return hostQueueName(readFileSync(file, 'utf8'));
}
