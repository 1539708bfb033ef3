import { ValidationError } from '../../domain/errors';

/**
 * Where Flow keeps an instance's files on a remote host. Paths are kept as text that may start
 * with "$HOME" (the host's home, expanded on the host, never here): shellPath turns one into a
 * shell word, fileApiPath into a HostShell file path (relative paths are the login's home).
 *
 *   <remoteDir>/instances/<instanceId>/{supervisor.sh, pid, boot_id, output.log, exit_code,
 *                                       stopped, stop_seen, launched/, workdir, links, work/}
 *   <remoteDir>/volumes/<name>/
 */
export const DEFAULT_REMOTE_DIR = '$HOME/.flow-host';

export interface RemoteInstanceLayout {
  root: string;
  instanceDir: string;
  supervisor: string;
  /** The supervisor's pid, which is also its process group id. */
  pid: string;
  /** The host's boot id when the supervisor started (a pid from an earlier boot means nothing). */
  bootId: string;
  output: string;
  exitCode: string;
  exitCodeTmp: string;
  /** Present once a stop was asked for. */
  stopped: string;
  /** Left by the supervisor when a stop came before the command's end was recorded. */
  stopSeen: string;
  /** Made with an atomic mkdir by the one launch that starts the command. */
  launched: string;
  /** Holds the path of the command's working directory. */
  workdirFile: string;
  /** The volume mount-path symlinks this instance made, one per line (removed at cleanup). */
  links: string;
  /** The working dir when the task names none. */
  workDir: string;
}

const SAFE_NAME = /^[A-Za-z0-9_.-]+$/;

/** Instance ids and volume names become path parts on the host: letters, digits, '-', '_', '.' only. */
export function validateSafeName(value: string, field: string): void {
  if (!SAFE_NAME.test(value) || value === '.' || value === '..' || value.length > 200) {
    throw new ValidationError(`${field} '${value}' is not a safe name for a path on the host`, {
      field,
      suggestions: ["Use letters, digits, '-', '_' and '.' only (at most 200 characters, not '.' or '..')"],
    });
  }
}

/** remoteDir: an absolute path, or one under the home written "$HOME/..." or "~/...". */
export function normalizeRemoteDir(remoteDir: string = DEFAULT_REMOTE_DIR): string {
  let dir = remoteDir.trim();
  if (dir === '~' || dir.startsWith('~/')) dir = `$HOME${dir.slice(1)}`;
  const rest = dir.startsWith('$HOME') ? dir.slice('$HOME'.length) : undefined;
  const valid = rest === undefined ? dir.startsWith('/') : rest === '' || rest.startsWith('/');
  if (!valid || /[\n\0]/.test(dir) || (rest ?? dir).includes('$')) {
    throw new ValidationError(`remoteDir '${remoteDir}' must be an absolute path or start with $HOME/ or ~/`, {
      field: 'remoteDir',
      suggestions: [`Use the default ${DEFAULT_REMOTE_DIR}, or an absolute path such as /var/lib/flow`],
    });
  }
  return dir.length > 1 ? dir.replace(/\/+$/, '') : dir;
}

export function remoteLayout(instanceId: string, remoteDir?: string): RemoteInstanceLayout {
  validateSafeName(instanceId, 'instanceId');
  const root = normalizeRemoteDir(remoteDir);
  const dir = `${root}/instances/${instanceId}`;
  return {
    root,
    instanceDir: dir,
    supervisor: `${dir}/supervisor.sh`,
    pid: `${dir}/pid`,
    bootId: `${dir}/boot_id`,
    output: `${dir}/output.log`,
    exitCode: `${dir}/exit_code`,
    exitCodeTmp: `${dir}/exit_code.tmp`,
    stopped: `${dir}/stopped`,
    stopSeen: `${dir}/stop_seen`,
    launched: `${dir}/launched`,
    workdirFile: `${dir}/workdir`,
    links: `${dir}/links`,
    workDir: `${dir}/work`,
  };
}

/** The folder that holds a volume on the host (kept across tasks and cleanups). */
export function remoteVolumePath(name: string, remoteDir?: string): string {
  validateSafeName(name, 'volumes.name');
  return `${normalizeRemoteDir(remoteDir)}/volumes/${name}`;
}

/** Quotes one word for /bin/sh: 'it'\''s'. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A path as a shell word; a leading $HOME stays unquoted so the host's shell expands it. */
export function shellPath(path: string): string {
  if (path === '$HOME') return '"$HOME"';
  if (path.startsWith('$HOME/')) return `"$HOME"${shellQuote(path.slice('$HOME'.length))}`;
  return shellQuote(path);
}

/** A path for HostShell.readFile/writeFile/putFile: "$HOME/x" becomes "x" (relative to the home). */
export function fileApiPath(path: string): string {
  if (path === '$HOME') return '.';
  if (path.startsWith('$HOME/')) return path.slice('$HOME/'.length);
  return path;
}
