import type { Payload, PayloadCodec } from '@temporalio/common';
import { ENCRYPTED_ENCODING } from './payload-codec';

const isPayload = (value: Record<string, unknown>): boolean =>
  value.metadata !== null && typeof value.metadata === 'object' && !(value.metadata instanceof Uint8Array) && 'data' in value;

/**
 * A copy of a fetched history (or any protobuf object) with every encrypted payload opened by
 * `codec`: for recording replay fixtures and for tests that look for text in history. Plain
 * payloads (search attributes, Temporal Core's own marker data) are kept as they are.
 */
export async function openPayloads<T>(value: T, codec: PayloadCodec): Promise<T> {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return (await Promise.all(value.map((item) => openPayloads(item, codec)))) as T;
  const record = value as Record<string, unknown>;
  if (isPayload(record)) {
    const encoding = Buffer.from((record.metadata as Record<string, Uint8Array>).encoding ?? new Uint8Array()).toString();
    return (encoding === ENCRYPTED_ENCODING ? (await codec.decode([record as Payload]))[0] : value) as T;
  }
  // Same prototype: protobuf messages and Longs stay what they were.
  const out = Object.create(Object.getPrototypeOf(record) as object | null) as Record<string, unknown>;
  for (const [key, child] of Object.entries(record)) out[key] = await openPayloads(child, codec);
  return out as T;
}
