import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';

/** Metadata `encoding` of a payload this codec wrote. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata naming the key a payload was encrypted with (the key itself is never written). */
export const KEY_ID_METADATA = 'encryption-key-id';

export interface EncryptionKey {
  id: string;
  /** 32 bytes (AES-256). */
  key: Buffer;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Thrown for any payload the worker or client must not trust; never quotes payload bytes. */
export class PayloadAuthenticationError extends Error {
  override name = 'PayloadAuthenticationError';
}

const utf8 = (bytes: Uint8Array | null | undefined): string => (bytes ? Buffer.from(bytes).toString('utf8') : '');

/** The whole payload (metadata + data) as exact JSON of base64 fields: the plaintext. */
function serialize(payload: Payload): Buffer {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) if (value) metadata[key] = Buffer.from(value).toString('base64');
  return Buffer.from(JSON.stringify({ metadata, data: payload.data ? Buffer.from(payload.data).toString('base64') : null }), 'utf8');
}

function deserialize(plain: Buffer): Payload {
  const parsed = JSON.parse(plain.toString('utf8')) as { metadata: Record<string, string>; data: string | null };
  const metadata: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(parsed.metadata)) metadata[key] = Buffer.from(value, 'base64');
  return { metadata, ...(parsed.data === null ? {} : { data: Buffer.from(parsed.data, 'base64') }) };
}

/**
 * AES-256-GCM over each whole payload, with a random 12-byte IV. The first key encrypts; every
 * key decrypts (rotation). decode refuses anything it cannot authenticate, plain payloads included:
 * holding a key is what it takes to hand the worker input.
 */
/**
 * What the Temporal server itself writes in clear: the details of an activity cancelled before
 * any worker started it. Passed through as they are: they carry no caller's input, and refusing
 * them would fail the workflow task for good (a task stopped while a rank waited to be picked up).
 */
const SERVER_PLAIN_PAYLOADS = new Set(['"ACTIVITY_ID_NOT_STARTED"']);

function isServerPlainPayload(payload: Payload, encoding: string): boolean {
  return encoding === 'json/plain' && SERVER_PLAIN_PAYLOADS.has(Buffer.from(payload.data ?? new Uint8Array()).toString('utf8'));
}

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;
  private readonly current: EncryptionKey;

  constructor(keys: readonly EncryptionKey[]) {
    if (keys.length === 0) throw new Error('AesGcmPayloadCodec needs at least one key');
    for (const { id, key } of keys) {
      if (key.length !== 32) throw new Error(`encryption key ${id} must be 32 bytes (AES-256), not ${key.length}`);
    }
    this.current = keys[0]!;
    this.byId = new Map(keys.map(({ id, key }) => [id, key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
      // The key id is authenticated too: a payload cannot be relabelled to another key.
      cipher.setAAD(Buffer.from(this.current.id, 'utf8'));
      const sealed = Buffer.concat([cipher.update(serialize(payload)), cipher.final()]);
      return {
        metadata: {
          encoding: Buffer.from(ENCRYPTED_ENCODING, 'utf8'),
          [KEY_ID_METADATA]: Buffer.from(this.current.id, 'utf8'),
        },
        data: Buffer.concat([iv, sealed, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = utf8(payload.metadata?.encoding);
      if (isServerPlainPayload(payload, encoding)) return payload;
      if (encoding !== ENCRYPTED_ENCODING) {
        throw new PayloadAuthenticationError(
          `Refusing a payload that is not encrypted (encoding ${JSON.stringify(encoding.slice(0, 40))}): only holders of the Flow encryption key may send input`,
        );
      }
      const id = utf8(payload.metadata?.[KEY_ID_METADATA]);
      const key = this.byId.get(id);
      if (!key) {
        throw new PayloadAuthenticationError(
          `Refusing a payload encrypted with unknown key id ${JSON.stringify(id.slice(0, 64))}: set FLOW_ENCRYPTION_KEY or restore that key in the encryption keys file`,
        );
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadAuthenticationError(`Refusing a payload for key ${id}: too short to be encrypted`);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(id, 'utf8'));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
        return deserialize(plain);
      } catch {
        throw new PayloadAuthenticationError(`Refusing a payload for key ${id}: it failed authentication (tampered, or encrypted with another key of that id)`);
      }
    });
  }
}
