import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowPaths } from '../../src/config/flow-home';

/** What the local provider records in instance.json (the fields tests check). */
export interface InstanceRecord {
  instanceId: string;
  terminated: boolean;
}

/** The folder of a local instance; take the id from describe(), never build it. */
export function instanceDir(home: string, instanceId: string): string {
  return join(flowPaths(home).instances, instanceId);
}

export function instanceRecord(home: string, instanceId: string): InstanceRecord {
  return JSON.parse(readFileSync(join(instanceDir(home, instanceId), 'instance.json'), 'utf8')) as InstanceRecord;
}

/** The process group of the instance's command (its supervisor's pid, which leads the group). */
export function commandProcessGroup(home: string, instanceId: string): number {
  return Number(readFileSync(join(instanceDir(home, instanceId), 'pid'), 'utf8'));
}
