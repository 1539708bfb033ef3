import { dirname } from 'node:path';

/**
 * A shell snippet that holds a command until `path` exists. Tests create the file when they are
 * ready for the command to go on, instead of hoping a sleep lasts long enough. The hold also ends
 * when the file's folder is removed, so a test that fails before releasing leaves no command
 * waiting forever once its temp folder is cleaned up.
 */
export function untilFileExists(path: string): string {
  return `while [ ! -e '${path}' ] && [ -d '${dirname(path)}' ]; do sleep 0.05; done`;
}
