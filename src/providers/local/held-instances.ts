import { readdirSync, rmSync, statSync } from 'node:fs';
import { flowPaths } from '../../config/flow-home';
import type { HeldInstance } from '../../domain';
import { instancePaths, readInstanceRecord } from './instance-files';

/**
 * The local instances under <home>/instances, as the leak reaper sees them: each folder Flow made
 * (it holds an instance.json naming its task), live or finished. A folder without a readable
 * record (being provisioned this moment, or not Flow's) is left alone.
 */
export function listLocalHeld(home: string): HeldInstance[] {
  let names: string[];
  try {
    names = readdirSync(flowPaths(home).instances);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const held: HeldInstance[] = [];
  for (const name of names) {
    let paths;
    try {
      paths = instancePaths(home, name);
      if (!statSync(paths.dir).isDirectory()) continue;
    } catch {
      continue; // not an instance folder's name, or gone meanwhile
    }
    let record;
    try {
      record = readInstanceRecord(paths);
    } catch {
      continue; // half-written or not ours
    }
    if (record === undefined || record.provider !== 'local' || record.instanceId !== name) continue;
    held.push({
      provider: 'local',
      instanceId: name,
      taskId: record.taskId,
      where: paths.dir,
      createdAt: record.createdAt,
      finished: record.terminated,
    });
  }
  return held;
}

/** Removes an instance's folder once it is torn down (its processes stopped, its mounts released). */
export function removeInstanceFolder(home: string, instanceId: string): void {
  rmSync(instancePaths(home, instanceId).dir, { recursive: true, force: true });
}
