import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ignore, { type Ignore } from 'ignore';
import { ProviderError, ValidationError } from '../../domain/errors';
import type { HostShell } from '../../ssh/host-shell';
import { fileApiPath, shellPath } from './remote-layout';
import { runScript, scriptFailed } from './remote-shell';

/**
 * Code upload: the project folder, less what .flowignore (else .gitignore) leaves out, packed
 * into a tar.gz here with the system's GNU tar and a file list, copied to the host, unpacked
 * into the task's working dir there. Symlinks travel as links; .git never travels.
 */
export const DEFAULT_UPLOAD_LIMIT_BYTES = 100 * 1024 * 1024;

export interface CodeFile {
  /** Relative to the project folder, with '/' separators. */
  path: string;
  /** Bytes (0 for a symlink). */
  size: number;
}

export interface CodeSelection {
  files: CodeFile[];
  totalBytes: number;
  /** Which rules applied: '.flowignore', '.gitignore', or none. */
  rulesFrom: '.flowignore' | '.gitignore' | undefined;
}

interface RuleSet {
  /** Folder the rules belong to, relative to the root ('' for the root). */
  base: string;
  rules: Ignore;
}

/** The rule file name for this project: .flowignore when the root has one, else .gitignore. */
function ruleFileName(dir: string): CodeSelection['rulesFrom'] {
  if (existsSync(join(dir, '.flowignore'))) return '.flowignore';
  if (existsSync(join(dir, '.gitignore'))) return '.gitignore';
  return undefined;
}

/** Git's reading: the deepest rule file with a verdict (ignore or re-include) decides. */
function isIgnored(ruleSets: readonly RuleSet[], path: string, isDir: boolean): boolean {
  for (let index = ruleSets.length - 1; index >= 0; index--) {
    const set = ruleSets[index]!;
    const relative = set.base === '' ? path : path.slice(set.base.length + 1);
    const verdict = set.rules.test(isDir ? `${relative}/` : relative);
    if (verdict.ignored) return true;
    if (verdict.unignored) return false;
  }
  return false;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/**
 * The files to upload from `dir`. Rule files are read in every folder (like git), but only of
 * one kind: .flowignore when the root has one, else .gitignore. An ignored folder is not entered.
 * ValidationError when the total passes maxBytes (default 100 MiB), naming the largest files.
 */
export function selectCodeFiles(dir: string, options: { maxBytes?: number } = {}): CodeSelection {
  const maxBytes = options.maxBytes ?? DEFAULT_UPLOAD_LIMIT_BYTES;
  if (!existsSync(dir) || !lstatSync(dir).isDirectory()) {
    throw new ValidationError(`The project folder to upload, ${dir}, is not a folder`, {
      field: 'upload_code',
      suggestions: ['Run from the project folder, or set upload_code: false in the task file'],
    });
  }
  const rulesFrom = ruleFileName(dir);
  const files: CodeFile[] = [];
  const walk = (relativeDir: string, inherited: readonly RuleSet[]): void => {
    const absolute = relativeDir === '' ? dir : join(dir, relativeDir);
    let ruleSets = inherited;
    if (rulesFrom !== undefined && existsSync(join(absolute, rulesFrom))) {
      ruleSets = [...inherited, { base: relativeDir, rules: ignore().add(readFileSync(join(absolute, rulesFrom), 'utf8')) }];
    }
    const entries = readdirSync(absolute, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name === '.git') continue;
      const path = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!isIgnored(ruleSets, path, true)) walk(path, ruleSets);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        if (isIgnored(ruleSets, path, false)) continue;
        files.push({ path, size: entry.isFile() ? lstatSync(join(dir, path)).size : 0 });
      }
      // Sockets, fifos and devices are not code: left out.
    }
  };
  walk('', []);
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  if (totalBytes > maxBytes) {
    const largest = [...files].sort((a, b) => b.size - a.size).slice(0, 5);
    throw new ValidationError(
      `The code to upload from ${dir} is ${formatBytes(totalBytes)}, over the ${formatBytes(maxBytes)} limit. Largest files: ${largest
        .map((file) => `${file.path} (${formatBytes(file.size)})`)
        .join(', ')}`,
      {
        field: 'upload_code',
        suggestions: [
          'List data, checkpoints and build outputs in a .flowignore file (same syntax as .gitignore) in the project folder',
          'Put large data in a volume instead of uploading it with the code',
        ],
      },
    );
  }
  return { files, totalBytes, rulesFrom };
}

const execFileAsync = promisify(execFile);

/**
 * The selected files of `dir` packed into a tar.gz at `archive` (GNU tar with a file list);
 * throws the selection's ValidationError when the code is over the limit.
 */
export async function packCode(dir: string, archive: string, options: { maxBytes?: number } = {}): Promise<CodeSelection> {
  const selection = selectCodeFiles(dir, options);
  const list = `${archive}.files`;
  writeFileSync(list, selection.files.map((file) => `${file.path}\0`).join(''));
  try {
    await execFileAsync('tar', ['-czf', archive, '-C', dir, '--null', '--no-recursion', '-T', list], { maxBuffer: 1024 * 1024 });
  } catch (error) {
    throw new ProviderError(`Could not pack the code in ${dir}: ${(error as Error).message}`, {
      retryable: false,
      suggestions: ['Check that GNU tar is installed on the worker and the project files are readable'],
    });
  } finally {
    rmSync(list, { force: true });
  }
  return selection;
}

/** Runs `use` with a scratch folder here, removed afterwards. */
export async function withScratchDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const scratch = mkdtempSync(join(tmpdir(), 'flow-upload-'));
  try {
    return await use(scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Uploads the selected files of `dir` into `remoteWorkDir` on the host (created; a path may
 * start with $HOME): packs a tar.gz here, putFile's it, unpacks it there and removes it.
 */
export async function uploadCode(
  shell: HostShell,
  dir: string,
  remoteWorkDir: string,
  options: { maxBytes?: number } = {},
): Promise<CodeSelection> {
  return withScratchDir(async (scratch) => {
    const archive = join(scratch, 'code.tar.gz');
    const selection = await packCode(dir, archive, options);
    const remoteArchive = `${remoteWorkDir}/.flow-upload-${randomBytes(6).toString('hex')}.tar.gz`;
    const what = `upload code to ${remoteWorkDir}`;
    const made = await runScript(shell, `mkdir -p ${shellPath(remoteWorkDir)}`, what);
    if (made.code !== 0) throw scriptFailed(shell, what, made);
    await shell.putFile(archive, fileApiPath(remoteArchive), 0o600);
    // -o: files belong to the login user, not to the worker's uid.
    const unpacked = await runScript(shell, `tar -x -z -o -f ${shellPath(remoteArchive)} -C ${shellPath(remoteWorkDir)}; _flow_rc=$?; rm -f ${shellPath(remoteArchive)}; exit $_flow_rc`, what);
    if (unpacked.code !== 0) throw scriptFailed(shell, what, unpacked);
    return selection;
  });
}
