import { randomBytes } from 'node:crypto';
import type { SFTPWrapper } from 'ssh2';

/** SFTP's NO_SUCH_FILE status. */
const NO_SUCH_FILE = 2;
const READ_CHUNK = 32 * 1024;

function call<T>(fn: (cb: (error: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value))));
}

/** Up to maxBytes from `offset`; empty when the file is missing or shorter. */
export async function sftpReadFile(sftp: SFTPWrapper, path: string, offset: number, maxBytes: number): Promise<Buffer> {
  let handle: Buffer;
  try {
    handle = await call<Buffer>((cb) => sftp.open(path, 'r', cb));
  } catch (error) {
    if ((error as { code?: unknown }).code === NO_SUCH_FILE) return Buffer.alloc(0);
    throw error;
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    while (total < maxBytes) {
      const length = Math.min(READ_CHUNK, maxBytes - total);
      const buffer = Buffer.alloc(length);
      const bytesRead = await call<number>((cb) => sftp.read(handle, buffer, 0, length, offset + total, (error, bytes) => cb(error, bytes)));
      if (!bytesRead) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
    }
    return Buffer.concat(chunks);
  } finally {
    await call<void>((cb) => sftp.close(handle, (error) => cb(error, undefined))).catch(() => undefined);
  }
}

/** Writes a temp file beside `path`, sets its mode, then renames it over `path` (readers never see half a file). */
export async function sftpWriteFile(sftp: SFTPWrapper, path: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const temp = `${path}.flow-${randomBytes(4).toString('hex')}.tmp`;
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const handle = await call<Buffer>((cb) => sftp.open(temp, 'w', { mode }, cb));
  try {
    for (let position = 0; position < bytes.length; position += READ_CHUNK) {
      const length = Math.min(READ_CHUNK, bytes.length - position);
      await call<void>((cb) => sftp.write(handle, bytes, position, length, position, (error) => cb(error, undefined)));
    }
    // The host's umask narrowed the open mode: set it exactly.
    await call<void>((cb) => sftp.fchmod(handle, mode, (error) => cb(error, undefined)));
  } finally {
    await call<void>((cb) => sftp.close(handle, (error) => cb(error, undefined))).catch(() => undefined);
  }
  await renameOver(sftp, temp, path);
}

async function renameOver(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    await call<void>((cb) => sftp.ext_openssh_rename(from, to, (error) => cb(error, undefined)));
  } catch {
    // A server without posix-rename: plain SFTP rename refuses to replace a file.
    await call<void>((cb) => sftp.unlink(to, () => cb(undefined, undefined)));
    await call<void>((cb) => sftp.rename(from, to, (error) => cb(error, undefined)));
  }
}

export async function sftpPutFile(sftp: SFTPWrapper, localPath: string, remotePath: string, mode?: number): Promise<void> {
  await call<void>((cb) => sftp.fastPut(localPath, remotePath, mode === undefined ? {} : { mode }, (error) => cb(error, undefined)));
  if (mode !== undefined) await call<void>((cb) => sftp.chmod(remotePath, mode, (error) => cb(error, undefined)));
}

export async function sftpGetFile(sftp: SFTPWrapper, remotePath: string, localPath: string): Promise<void> {
  await call<void>((cb) => sftp.fastGet(remotePath, localPath, (error) => cb(error, undefined)));
}
