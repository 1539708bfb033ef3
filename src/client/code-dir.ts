import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { ValidationError, type TaskConfig } from '../domain';

/**
 * The folder whose code a task runs: codeRoot (`~` expanded, relative to the submitter's folder)
 * or the submitter's folder itself. A codeRoot that is not a folder is refused before submission.
 */
export function resolveCodeDir(config: Pick<TaskConfig, 'codeRoot'>, submitterDir: string): string {
  if (config.codeRoot === undefined) return submitterDir;
  const expanded = config.codeRoot === '~' ? homedir() : config.codeRoot.replace(/^~(?=\/)/, homedir());
  const dir = resolve(submitterDir, expanded);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new ValidationError(`codeRoot: ${dir} is not a folder on this machine; nothing was submitted`, {
      field: 'codeRoot',
      suggestions: ['Point code_root at the folder that holds your code, or leave it out to use the folder you run flow from'],
    });
  }
  return dir;
}
