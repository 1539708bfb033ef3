import { z } from 'zod';
import { documentOf } from './envelope';
import type { MithrilHttp } from './http-client';
import { asRecord, oneOf, parseWith } from './parse-fields';

export interface MithrilSshKey {
  fid: string;
  name: string;
  publicKey?: string;
  /** Added to every bid of the project by the platform. */
  required: boolean;
  fingerprint?: string;
}

const SshKeySchema = z.object({
  fid: z.string().min(1),
  name: z.string().min(1),
  publicKey: z.string().optional(),
  required: z.boolean(),
  fingerprint: z.string().optional(),
});

export function parseSshKey(row: unknown): MithrilSshKey {
  const record = asRecord(row, 'an SSH key');
  return parseWith(
    SshKeySchema,
    {
      fid: record.fid,
      name: record.name,
      publicKey: record.public_key ?? undefined,
      required: oneOf(record, ['required', 'is_required']) ?? false,
      fingerprint: record.fingerprint ?? undefined,
    },
    'an SSH key',
  );
}

export async function listSshKeys(http: MithrilHttp, project: string): Promise<MithrilSshKey[]> {
  return (await http.getAllPages('/v2/ssh-keys', { project })).map(parseSshKey);
}

/** Registers the user's public key (Flow never asks the server to generate a private key for it). */
export async function createSshKey(http: MithrilHttp, input: { project: string; name: string; publicKey: string }): Promise<MithrilSshKey> {
  const body = await http.post('/v2/ssh-keys', { name: input.name, project: input.project, public_key: input.publicKey });
  const record = asRecord(documentOf(body), 'a created SSH key');
  // The create answer may omit fields the listing has; fill them from what was sent.
  return parseSshKey({ name: input.name, public_key: input.publicKey, ...record });
}

/** The platform key holding this public key (compared by type and base64 body, comments ignored). */
export function findKeyByPublicKey(keys: readonly MithrilSshKey[], publicKey: string): MithrilSshKey | undefined {
  const body = (key: string) => key.trim().split(/\s+/).slice(0, 2).join(' ');
  return keys.find((key) => key.publicKey !== undefined && body(key.publicKey) === body(publicKey));
}
