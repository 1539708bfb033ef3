/**
 * What Flow needs from one remote host: run a shell command, move files. The ssh provider runs
 * everything through this (src/ssh implements it on ssh2); tests may implement it on this machine.
 * Paths are as the host sees them; relative paths are relative to the login user's home.
 */
export interface RemoteExecOptions {
  /** Written to the command's stdin, which is then closed (so secrets never travel in argv). */
  stdin?: string | Buffer;
  /** The command is killed after this long; the result then has timedOut and code 124. */
  timeoutMs?: number;
  /** Most bytes kept of stdout and of stderr each (default 1 MiB); the rest is dropped, `truncated` set. */
  maxOutputBytes?: number;
}

export interface RemoteExecResult {
  /** Exit code; 128+n for a signal n; 124 on timeout. */
  code: number;
  stdout: Buffer;
  stderr: Buffer;
  truncated: boolean;
  timedOut: boolean;
}

export interface HostShell {
  /** Names the host in errors and logs, e.g. "gpu1 (root@10.0.0.2:22)". Never holds a secret. */
  readonly label: string;
  /** Runs `command` with /bin/sh -c on the host and waits for it to end. */
  exec(command: string, options?: RemoteExecOptions): Promise<RemoteExecResult>;
  /** Up to maxBytes of the file from byte `offset`; an empty buffer when it is missing or shorter. */
  readFile(path: string, offset: number, maxBytes: number): Promise<Buffer>;
  /** Writes the file whole (created with `mode`, replacing any old one). Its folder must exist. */
  writeFile(path: string, data: string | Buffer, mode?: number): Promise<void>;
  /** Copies a file from this machine to the host. */
  putFile(localPath: string, remotePath: string, mode?: number): Promise<void>;
  /** Copies a file from the host to this machine. */
  getFile(remotePath: string, localPath: string): Promise<void>;
}
