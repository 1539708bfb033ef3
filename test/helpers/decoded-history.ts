import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ensureKeyFile } from '../../src/security/encryption-keys';
import { AesGcmPayloadCodec } from '../../src/security/payload-codec';

/**
 * A history's bytes as the server holds them plus every payload opened with the home's keys:
 * what a search for leaked text must look through now that payloads are encrypted.
 */
export async function historyPlainBytes(history: temporal.api.history.v1.IHistory, home: string): Promise<Buffer> {
  const codec = new AesGcmPayloadCodec(ensureKeyFile(home));
  const opened: Buffer[] = [];
  const visit = async (value: unknown, path: string): Promise<void> => {
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
    const record = value as Record<string, unknown>;
    if (record.metadata && typeof record.metadata === 'object' && 'data' in record && !path.endsWith('indexedFields')) {
      const encoding = Buffer.from((record.metadata as Record<string, Uint8Array>).encoding ?? new Uint8Array()).toString();
      if (encoding === 'binary/encrypted') {
        const [plain] = await codec.decode([record as Payload]);
        opened.push(Buffer.from(plain!.data ?? new Uint8Array()));
      }
      return;
    }
    for (const [key, child] of Object.entries(record)) await visit(child, `${path}.${key}`);
  };
  await visit(history, '');
  return Buffer.concat([Buffer.from(temporal.api.history.v1.History.encode(history).finish()), ...opened]);
}
