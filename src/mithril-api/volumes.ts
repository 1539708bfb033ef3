import { z } from 'zod';
import type { MithrilHttp } from './http-client';
import { checkIdempotencyKey } from './idempotency';
import { Count, Timestamp, asRecord, oneOf, parseWith } from './parse-fields';
import { documentOf } from './envelope';

export type DiskInterface = 'block' | 'file';

export interface MithrilVolume {
  fid: string;
  name: string;
  region: string;
  sizeGb: number;
  createdAt: string;
  interface: DiskInterface;
  /** Instance or bid ids the volume is attached to. */
  attachedTo: string[];
  bids: string[];
  status?: string;
  mountPath?: string;
}

const VolumeSchema = z.object({
  fid: z.string().min(1),
  name: z.string().min(1),
  region: z.string().min(1),
  sizeGb: Count,
  createdAt: Timestamp,
  interface: z.enum(['block', 'file']),
  attachedTo: z.array(z.string()),
  bids: z.array(z.string()),
  status: z.string().optional(),
  mountPath: z.string().optional(),
});

function ids(value: unknown): string[] {
  if (!Array.isArray(value)) return typeof value === 'string' && value !== '' ? [value] : [];
  return value
    .map((item) => (typeof item === 'string' ? item : item !== null && typeof item === 'object' ? ((item as Record<string, unknown>).fid ?? (item as Record<string, unknown>).id) : undefined))
    .filter((id): id is string => typeof id === 'string');
}

export function parseVolume(row: unknown): MithrilVolume {
  const record = asRecord(row, 'a volume');
  const kind = oneOf<unknown>(record, ['interface', 'disk_interface']);
  return parseWith(
    VolumeSchema,
    {
      fid: record.fid,
      name: record.name,
      region: record.region,
      sizeGb: oneOf(record, ['capacity_gb', 'size_gb']),
      createdAt: record.created_at,
      interface: typeof kind === 'string' ? kind.toLowerCase() : kind,
      attachedTo: ids(record.attached_to),
      bids: ids(record.bids),
      status: record.status ?? undefined,
      mountPath: record.mount_path ?? undefined,
    },
    'a volume',
  );
}

export async function listVolumes(http: MithrilHttp, project: string, region?: string): Promise<MithrilVolume[]> {
  return (await http.getAllPages('/v2/volumes', { project, region })).map(parseVolume);
}

export interface CreateVolumeInput {
  project: string;
  name: string;
  sizeGb: number;
  interface: DiskInterface;
  region: string;
  idempotencyKey: string;
}

export async function createVolume(http: MithrilHttp, input: CreateVolumeInput): Promise<MithrilVolume> {
  const body = {
    size_gb: input.sizeGb,
    name: input.name,
    project: input.project,
    disk_interface: input.interface === 'block' ? 'Block' : 'File',
    region: input.region,
  };
  return parseVolume(documentOf(await http.post('/v2/volumes', body, checkIdempotencyKey(input.idempotencyKey))));
}

export async function deleteVolume(http: MithrilHttp, volumeId: string): Promise<void> {
  await http.delete(`/v2/volumes/${encodeURIComponent(volumeId)}`);
}
