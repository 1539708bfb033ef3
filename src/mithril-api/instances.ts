import { z } from 'zod';
import { ValidationError } from '../domain';
import type { MithrilHttp } from './http-client';
import { normalizeStatus } from './status-mapping';
import { Count, Timestamp, asRecord, oneOf, parseWith } from './parse-fields';

/** Most bid ids one GET /v2/instances may filter on. */
export const MAX_BIDS_PER_INSTANCE_QUERY = 50;

/** An instance of a bid, with how to reach it. */
export interface MithrilInstance {
  fid: string;
  bidFid: string;
  /** Normalized: lower case, no "status_" prefix (running, preempting, terminated, …). */
  status: string;
  createdAt: string;
  /** Host to SSH to, when the instance has one yet. */
  sshHost?: string;
  sshPort: number;
  publicIp?: string;
  privateIp?: string;
  name?: string;
  instanceTypeFid?: string;
  region?: string;
}

const InstanceSchema = z.object({
  fid: z.string().min(1),
  bidFid: z.string().min(1),
  status: z.string().min(1),
  createdAt: Timestamp,
  sshHost: z.string().min(1).optional(),
  sshPort: Count.pipe(z.number().int().min(1).max(65535)),
  publicIp: z.string().optional(),
  privateIp: z.string().optional(),
  name: z.string().optional(),
  instanceTypeFid: z.string().optional(),
  region: z.string().optional(),
});

/** "host" or "host:port" (an IPv6 address, with its many colons, is a host alone unless bracketed). */
export function splitDestination(destination: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(destination);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] === undefined ? undefined : Number(bracketed[2]) };
  const hostPort = /^([^:]+):(\d+)$/.exec(destination);
  if (hostPort) return { host: hostPort[1]!, port: Number(hostPort[2]) };
  return { host: destination };
}

export function parseInstance(row: unknown): MithrilInstance {
  const record = asRecord(row, 'an instance');
  const destination = typeof record.ssh_destination === 'string' && record.ssh_destination !== '' ? splitDestination(record.ssh_destination) : undefined;
  const status = typeof record.status === 'string' ? normalizeStatus(record.status) : record.status;
  return parseWith(
    InstanceSchema,
    {
      fid: oneOf(record, ['fid', 'id']),
      // Both spellings present must name the same bid: oneOf refuses a disagreement.
      bidFid: oneOf(record, ['bid', 'bid_id']),
      status,
      createdAt: record.created_at,
      sshHost: destination?.host,
      // The port written in the destination wins: it is the one that goes with that host.
      sshPort: destination?.port ?? record.ssh_port ?? 22,
      publicIp: record.public_ip ?? undefined,
      privateIp: record.private_ip ?? undefined,
      name: record.name ?? undefined,
      instanceTypeFid: record.instance_type ?? undefined,
      region: record.region ?? undefined,
    },
    'an instance',
  );
}

/** The instances of some bids, asked for at most 50 bids at a time. */
export async function listInstancesOfBids(http: MithrilHttp, project: string, bidIds: readonly string[]): Promise<MithrilInstance[]> {
  if (project === '') throw new ValidationError('Listing Mithril instances needs a project', { field: 'mithril.project' });
  const instances: MithrilInstance[] = [];
  for (let start = 0; start < bidIds.length; start += MAX_BIDS_PER_INSTANCE_QUERY) {
    const chunk = bidIds.slice(start, start + MAX_BIDS_PER_INSTANCE_QUERY);
    const query = { project, bid_fid_in: chunk.join(','), limit: 100, sort_by: 'created_at', sort_dir: 'desc' };
    instances.push(...(await http.getAllPages('/v2/instances', query, { maxPages: 10 })).map(parseInstance));
  }
  return instances;
}
