import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProviderError } from '../../domain';
import { volumesRoot } from './volume-meta';

/**
 * Keys of encrypted volumes. Each volume has its own random password (what gocryptfs is given);
 * it is stored only wrapped (AES-256-GCM, the volume name as associated data) in the volume's
 * meta, by the home key <home>/volumes/.keys/home.key (32 random bytes, 0600 in a 0700 folder,
 * made on first use). The password never enters a task's input or history.
 */

export function keysDir(home: string): string {
  return join(volumesRoot(home), '.keys');
}

function homeKeyPath(home: string): string {
  return join(keysDir(home), 'home.key');
}

function ensureKeysDir(home: string): string {
  const dir = keysDir(home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

/** The home key, made on first use. Concurrent first uses: exactly one file wins ('wx'). */
function homeKey(home: string): Buffer {
  const path = homeKeyPath(home);
  ensureKeysDir(home);
  try {
    writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'hex');
  if (key.length !== 32) throw new ProviderError(`${path} is not a volume key (64 hex digits); restore it from a backup`, { retryable: false });
  return key;
}

/** A fresh volume password (hex, so it is one line for -passfile) and its wrapped form for the meta. */
export function newVolumePassword(home: string, name: string): { password: string; wrapped: string } {
  const password = randomBytes(32).toString('hex');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', homeKey(home), iv);
  cipher.setAAD(Buffer.from(name));
  const data = Buffer.concat([cipher.update(password, 'utf8'), cipher.final()]);
  const wrapped = ['v1', iv, cipher.getAuthTag(), data].map((part) => (typeof part === 'string' ? part : part.toString('base64'))).join(':');
  return { password, wrapped };
}

/** The password of volume `name` from its wrapped form; a clear error when the home key does not open it. */
export function unwrapVolumePassword(home: string, name: string, wrapped: string): string {
  const [version, iv, tag, data] = wrapped.split(':');
  try {
    if (version !== 'v1' || iv === undefined || tag === undefined || data === undefined) throw new Error('unknown format');
    const decipher = createDecipheriv('aes-256-gcm', homeKey(home), Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(name));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new ProviderError(`The key of encrypted volume '${name}' cannot be opened with ${homeKeyPath(home)} (a different or lost home key)`, {
      retryable: false,
      suggestions: [`Restore ${homeKeyPath(home)} from a backup; without it the volume's data cannot be read`],
    });
  }
}

/**
 * Runs `body` with the password in a 0600 file in the 0700 keys folder (gocryptfs -passfile), so
 * it never appears on a command line; the file is removed right after.
 */
export function withPassFile<T>(home: string, password: string, body: (path: string) => T): T {
  const path = join(ensureKeysDir(home), `pass-${randomBytes(8).toString('hex')}`);
  writeFileSync(path, `${password}\n`, { mode: 0o600, flag: 'wx' });
  try {
    return body(path);
  } finally {
    rmSync(path, { force: true });
  }
}
