import { z } from 'zod';
import { ProviderError, ResourceNotFoundError, ValidationError } from '../domain';
import { documentOf } from './envelope';
import type { MithrilHttp } from './http-client';
import { checkIdempotencyKey } from './idempotency';
import { Count, Timestamp, Usd, asRecord, oneOf, parseWith } from './parse-fields';

/** Longest startup script the API takes in a bid. */
export const MAX_STARTUP_SCRIPT_CHARS = 10_000;

export interface CreateBidInput {
  project: string;
  region: string;
  name: string;
  /** it_ id. */
  instanceTypeFid: string;
  /** Instances in the bid (the task's numInstances). */
  instanceQuantity: number;
  /** USD per instance-hour the bid will pay at most. */
  limitPricePerHour: number;
  sshKeyIds: string[];
  startupScript: string;
  volumeIds: string[];
  idempotencyKey: string;
}

/** A spot bid as GET /v2/spot/bids returns it. */
export interface Bid {
  fid: string;
  name: string;
  /** As the API spells it: Open, Allocated, Preempting, Terminated, Paused, Replaced. */
  status: string;
  createdAt: string;
  instanceTypeFid?: string;
  instanceQuantity: number;
  region?: string;
  limitPricePerHour?: number;
  /** Ids of the bid's instances. */
  instances: string[];
  paused?: boolean;
  message?: string;
  /** The user who placed it, when the API says. */
  createdBy?: string;
  /** The task whose Flow startup script the bid runs (its FLOW_ORIGIN line); absent for bids Flow did not make. */
  flowTaskId?: string;
}

/**
 * The Flow tag of a bid: its startup script's FLOW_ORIGIN comment names the task. Only that id is
 * kept; the script itself (it may hold a task's secrets) never leaves this function.
 */
export function flowTaskOfScript(script: unknown): string | undefined {
  if (typeof script !== 'string') return undefined;
  return /^# FLOW_ORIGIN: flow-sdk v\S+ task:(\S+)$/m.exec(script.split('\n', 3).join('\n'))?.[1];
}

/** The body of POST /v2/spot/bids, with the keys the API expects and nothing else. */
export function bidRequestBody(input: CreateBidInput): Record<string, unknown> {
  if (!Number.isInteger(input.instanceQuantity) || input.instanceQuantity < 1) {
    throw new ValidationError(`A bid needs a whole number of instances, not ${input.instanceQuantity}`, { field: 'numInstances' });
  }
  if (!(input.limitPricePerHour > 0)) throw new ValidationError(`A bid needs a positive limit price, not ${input.limitPricePerHour}`, { field: 'maxPricePerHour' });
  if (input.startupScript.length > MAX_STARTUP_SCRIPT_CHARS) {
    throw new ValidationError(`The startup script has ${input.startupScript.length} characters; Mithril takes at most ${MAX_STARTUP_SCRIPT_CHARS}`);
  }
  return {
    project: input.project,
    region: input.region,
    name: input.name,
    instance_quantity: input.instanceQuantity,
    limit_price: formatUsd(input.limitPricePerHour),
    launch_specification: { ssh_keys: input.sshKeyIds, startup_script: input.startupScript, volumes: input.volumeIds },
    instance_type: input.instanceTypeFid,
  };
}

/** "$12.34": how the API takes prices. */
export function formatUsd(amount: number): string {
  return `$${amount.toFixed(2)}`;
}

/** The new bid's id: `fid`, `bid_id`, or either under `bid`. */
export function createdBidId(body: unknown): string {
  const record = asRecord(documentOf(body), 'a created bid');
  const nested = record.bid !== null && typeof record.bid === 'object' ? (record.bid as Record<string, unknown>) : {};
  const id = oneOf<unknown>(record, ['fid', 'bid_id']) ?? oneOf<unknown>(nested, ['fid', 'bid_id']);
  if (typeof id !== 'string' || id === '') throw new ProviderError('Mithril created a bid but sent no id for it', { retryable: false });
  return id;
}

export async function createBid(http: MithrilHttp, input: CreateBidInput): Promise<string> {
  const body = bidRequestBody(input);
  return createdBidId(await http.post('/v2/spot/bids', body, checkIdempotencyKey(input.idempotencyKey)));
}

const BidSchema = z.object({
  fid: z.string().min(1),
  name: z.string().min(1),
  status: z.string().min(1),
  createdAt: Timestamp,
  instanceTypeFid: z.string().optional(),
  instanceQuantity: Count.pipe(z.number().int().positive()),
  region: z.string().optional(),
  limitPricePerHour: Usd.optional(),
  instances: z.array(z.string()),
  paused: z.boolean().optional(),
  message: z.string().optional(),
  createdBy: z.string().optional(),
  flowTaskId: z.string().optional(),
});

function instanceIds(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value
    .map((item) => (typeof item === 'string' ? item : item !== null && typeof item === 'object' ? oneOf<unknown>(item as Record<string, unknown>, ['fid', 'id']) : undefined))
    .filter((id): id is string => typeof id === 'string');
}

function asRecordOrEmpty(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

export function parseBid(row: unknown): Bid {
  const record = asRecord(row, 'a bid');
  const fid = oneOf<string>(record, ['fid', 'bid_id']);
  return parseWith(
    BidSchema,
    {
      fid,
      name: record.name ?? (typeof fid === 'string' ? `task-${fid.slice(0, 8)}` : undefined),
      status: record.status,
      createdAt: record.created_at,
      instanceTypeFid: record.instance_type ?? undefined,
      instanceQuantity: oneOf(record, ['instance_quantity', 'num_instances']),
      region: record.region ?? undefined,
      limitPricePerHour: record.limit_price ?? undefined,
      instances: instanceIds(record.instances),
      paused: record.paused ?? undefined,
      message: record.message ?? undefined,
      createdBy: typeof record.created_by === 'string' ? record.created_by : undefined,
      flowTaskId: flowTaskOfScript(asRecordOrEmpty(record.launch_specification).startup_script),
    },
    'a bid',
  );
}

export async function getBid(http: MithrilHttp, bidId: string): Promise<Bid> {
  return parseBid(documentOf(await http.get(`/v2/spot/bids/${encodeURIComponent(bidId)}`)));
}

export interface ListBidsInput {
  project: string;
  status?: 'Open' | 'Allocated' | 'Preempting' | 'Terminated' | 'Paused';
  name?: string;
  maxPages?: number;
}

/**
 * The project's bids, newest first, every page. A server that refuses the optional parameters
 * (422) is asked again with only the project, and the filters are applied here instead.
 */
export async function listBids(http: MithrilHttp, input: ListBidsInput): Promise<Bid[]> {
  const pages = { maxPages: input.maxPages ?? 10 };
  const query = { project: input.project, limit: 100, sort_by: 'created_at', sort_dir: 'desc', status: input.status, name: input.name };
  try {
    return (await http.getAllPages('/v2/spot/bids', query, pages)).map(parseBid);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
  }
  const all = (await http.getAllPages('/v2/spot/bids', { project: input.project, limit: 100 }, pages)).map(parseBid);
  return all
    .filter((bid) => (input.status === undefined || bid.status === input.status) && (input.name === undefined || bid.name === input.name))
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
}

/** Cancels a bid (its instances go with it). A bid already gone counts as cancelled. */
export async function cancelBid(http: MithrilHttp, bidId: string): Promise<void> {
  try {
    await http.delete(`/v2/spot/bids/${encodeURIComponent(bidId)}`);
  } catch (error) {
    if (error instanceof ResourceNotFoundError) return;
    throw error;
  }
}

/** Pauses or resumes a bid; the answer must name the same bid and say it took effect. */
export async function setBidPaused(http: MithrilHttp, bidId: string, paused: boolean): Promise<void> {
  const body = await http.patch(`/v2/spot/bids/${encodeURIComponent(bidId)}`, { paused });
  const record = asRecord(documentOf(body), 'a paused bid');
  const id = oneOf<unknown>(record, ['fid', 'bid_id']);
  if (id !== bidId) throw new ProviderError(`Mithril answered a pause of bid ${bidId} with bid ${String(id)}`, { retryable: false });
  const status = typeof record.status === 'string' ? record.status.toLowerCase() : undefined;
  const done = typeof record.paused === 'boolean' ? record.paused === paused : status !== undefined && (status === 'paused') === paused;
  if (!done) throw new ProviderError(`Mithril did not ${paused ? 'pause' : 'resume'} bid ${bidId}`, { retryable: true });
}

