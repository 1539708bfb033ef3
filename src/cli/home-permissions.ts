import { chmodSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { flowPaths } from '../config/flow-home';
import type { CheckResult } from './doctor-checks';

/** FLOW_HOME and the folders in it that hold task data: logs, volumes, instance output, the daemon's db. */
function privateFolders(home: string): string[] {
  const paths = flowPaths(home);
  return [paths.home, paths.logs, paths.volumes, paths.instances, paths.daemonDir];
}

/** Folders among them that other users can read or enter (group or world bits set). */
export function exposedFolders(home: string): string[] {
  return privateFolders(home).filter((path) => {
    try {
      return (statSync(path).mode & 0o077) !== 0;
    } catch {
      return false; // not created yet: it will be private
    }
  });
}

/** `flow doctor`: warns when FLOW_HOME (or a folder in it) is open to the group or others. */
export function checkHomePermissions(home: string): CheckResult {
  const name = 'FLOW_HOME access';
  const exposed = exposedFolders(home);
  if (exposed.length === 0) return { name, status: 'pass', detail: `${home} is private to its owner` };
  const modes = exposed.map((path) => `${path} (${(statSync(path).mode & 0o777).toString(8).padStart(4, '0')})`);
  return {
    name,
    status: 'warn',
    detail: `other users on this machine can read task logs, volumes or daemon files: ${modes.join(', ')}`,
    fix: `flow doctor --fix (or: chmod -R go-rwx ${home})`,
  };
}

/** What `chmod -R go-rwx` does, without following symbolic links (a volume may link anywhere). */
export function makeHomePrivate(home: string): void {
  const walk = (path: string) => {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return;
    if ((stat.mode & 0o077) !== 0) chmodSync(path, stat.mode & 0o7700);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
  };
  walk(home);
}
