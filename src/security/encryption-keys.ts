import { createHash, randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { flowPaths } from '../config/flow-home';
import { ValidationError } from '../domain';
import { AesGcmPayloadCodec, type EncryptionKey } from './payload-codec';

/** $FLOW_HOME/daemon/encryption-keys.json: the embedded daemon's keys, newest last. */
export function encryptionKeysPath(home: string): string {
  return join(flowPaths(home).daemonDir, 'encryption-keys.json');
}

interface KeyFile {
  keys: Array<{ id: string; key: string; createdAt: string }>;
}

/** A short id from the key's hash: names the key in payload metadata without revealing it. */
function fingerprint(key: Buffer): string {
  return `k-${createHash('sha256').update('flow-encryption-key-id\0').update(key).digest('hex').slice(0, 12)}`;
}

function decodeKey(base64: string, field: string): Buffer {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32 || key.toString('base64') !== base64.trim()) {
    throw new ValidationError(`${field} must be the base64 of 32 random bytes (AES-256), optionally as id:base64`, {
      field,
      suggestions: ['Generate one with: openssl rand -base64 32'],
    });
  }
  return key;
}

/** FLOW_ENCRYPTION_KEY: `base64` or `id:base64`. The error never quotes the value. */
export function parseKeySpec(text: string, field = 'FLOW_ENCRYPTION_KEY'): EncryptionKey {
  const colon = text.indexOf(':');
  if (colon > 0) {
    const id = text.slice(0, colon).trim();
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
      throw new ValidationError(`${field}'s key id must be 1-64 letters, digits, '.', '_' or '-'`, { field, suggestions: ['Use id:base64, e.g. 2026-01:<openssl rand -base64 32>'] });
    }
    return { id, key: decodeKey(text.slice(colon + 1), field) };
  }
  const key = decodeKey(text, field);
  return { id: fingerprint(key), key };
}

/** The keys in the file, newest first; undefined when there is no file. */
export function readKeyFile(path: string): EncryptionKey[] | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: KeyFile;
  try {
    parsed = JSON.parse(text) as KeyFile;
  } catch {
    throw new ValidationError(`${path} is not valid JSON`, { suggestions: ['Restore it from a backup: without its keys, existing tasks cannot be read'] });
  }
  if (!Array.isArray(parsed?.keys) || parsed.keys.length === 0) {
    throw new ValidationError(`${path} holds no keys`, { suggestions: ['Restore it from a backup, or remove it to generate a new key (existing tasks become unreadable)'] });
  }
  return parsed.keys.map((entry) => ({ id: entry.id, key: decodeKey(entry.key, `${path} key ${entry.id}`) })).reverse();
}

function newEntry(): KeyFile['keys'][number] {
  const key = randomBytes(32);
  return { id: fingerprint(key), key: key.toString('base64'), createdAt: new Date().toISOString() };
}

/** Writes a 0600 temp file next to `path` and returns its name. */
function writeTemp(path: string, content: KeyFile): string {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(content, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  return temp;
}

/**
 * The embedded daemon's keys, generating the file on first use. Race-safe: a new file is linked
 * into place only if none is there yet (never clobbering another process's key), then re-read.
 */
export function ensureKeyFile(home: string): EncryptionKey[] {
  const path = encryptionKeysPath(home);
  const existing = readKeyFile(path);
  if (existing) return existing;
  mkdirSync(flowPaths(home).daemonDir, { recursive: true, mode: 0o700 });
  const temp = writeTemp(path, { keys: [newEntry()] });
  try {
    linkSync(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temp);
  }
  return readKeyFile(path)!;
}

/** Adds a new key that encrypts from now on; the old ones still decrypt. Returns its id. */
export function rotateKey(home: string): string {
  ensureKeyFile(home);
  const path = encryptionKeysPath(home);
  const content = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
  const entry = newEntry();
  content.keys.push(entry);
  renameSync(writeTemp(path, content), path);
  return entry.id;
}

/**
 * The keys a client or worker uses, newest (encrypting) first. The configured key
 * (FLOW_ENCRYPTION_KEY or `encryptionKey` in config.yaml) wins; the embedded daemon otherwise
 * uses (and on first use creates) the key file. A remote cluster without a configured key: none.
 */
export function codecKeys(options: { home: string; configuredKey?: string; embedded: boolean }): EncryptionKey[] | undefined {
  const configured = options.configuredKey ? [parseKeySpec(options.configuredKey)] : [];
  if (!options.embedded) return configured.length > 0 ? configured : undefined;
  if (configured.length === 0) return ensureKeyFile(options.home);
  const fromFile = (readKeyFile(encryptionKeysPath(options.home)) ?? []).filter((key) => key.id !== configured[0]!.id);
  return [...configured, ...fromFile];
}

/**
 * The keys `flow codec-server` decrypts with: the configured key, then the embedded daemon's key
 * file when there is one (never created here). None at all is an error naming the settings.
 */
export function codecServerKeys(home: string, configuredKey: string | undefined): EncryptionKey[] {
  const configured = configuredKey ? [parseKeySpec(configuredKey)] : [];
  const fromFile = (readKeyFile(encryptionKeysPath(home)) ?? []).filter((key) => !configured.some((first) => first.id === key.id));
  const keys = [...configured, ...fromFile];
  if (keys.length === 0) {
    throw new ValidationError('flow codec-server has no payload key to decode with', {
      field: 'encryptionKey',
      suggestions: ['Set FLOW_ENCRYPTION_KEY_FILE (or FLOW_ENCRYPTION_KEY) to the key your workers use', `Or point FLOW_HOME at the home whose ${encryptionKeysPath(home)} holds the daemon's keys`],
    });
  }
  return keys;
}

/** The Client's / Worker's data converter: the codec when there are keys; always the failure converter that encodes messages. */
export function flowDataConverter(keys: readonly EncryptionKey[] | undefined): Pick<DataConverter, 'payloadCodecs' | 'failureConverterPath'> {
  // Failure messages go into an encoded payload, so the codec (when there is one) encrypts them too.
  const failureConverterPath = require.resolve('./failure-converter');
  return keys && keys.length > 0 ? { payloadCodecs: [new AesGcmPayloadCodec(keys)], failureConverterPath } : { failureConverterPath };
}
