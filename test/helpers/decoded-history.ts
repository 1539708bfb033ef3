import { temporal } from '@temporalio/proto';
import { ensureKeyFile } from '../../src/security/encryption-keys';
import { openPayloads } from '../../src/security/history-payloads';
import { AesGcmPayloadCodec } from '../../src/security/payload-codec';

/** A history's bytes with its payloads opened by the home's keys (they are encrypted on the server). */
export async function historyPlainBytes(history: temporal.api.history.v1.IHistory, home: string): Promise<Buffer> {
  const opened = await openPayloads(history, new AesGcmPayloadCodec(ensureKeyFile(home)));
  return Buffer.from(temporal.api.history.v1.History.encode(opened).finish());
}
