/**
 * The provider operations the client asks the worker for (issue 11, "The contract grows first"):
 * every provider call runs where the provider's credentials and connections live, reached through
 * providerOperationWorkflow. Requests and results travel through workflow history (encrypted by
 * the payload codec when one is set), so neither ever holds a provider credential; a local shell
 * target carries the supervisor's pid instead of the task's env (see ProviderShellTarget).
 */
import { z } from 'zod';
import type { PortTarget, ProviderCapabilities, ExecResult } from '../providers/provider';
import type { SshShellTarget } from './provider-contract';
import type { Offer } from './node-spec';
import { ProviderNameSchema, ProviderSettingsSchema, VolumeSpecSchema, type VolumeSpec } from './task-config';
import type { VolumeInfo } from './volume-info';
import type { ReapReport } from './held-instances';

const provider = ProviderNameSchema;
const providerSettings = ProviderSettingsSchema.optional();
// hostQueue: a local instance's host (see host-affinity.ts); the operation runs on that host's worker.
const instance = z.object({ provider: ProviderNameSchema, instanceId: z.string().min(1), address: z.string(), hostQueue: z.string().regex(/^flow-host-[0-9a-f]{8,64}$/).optional() });
const command = z.union([z.string().min(1), z.array(z.string()).min(1)]);

/** Options of exec as they travel: stdin as text or base64 (a Buffer does not survive JSON). */
const ExecOptionsSchema = z.strictObject({
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().optional(),
  timeoutMs: z.number().int().positive().optional(),
  input: z.string().optional(),
  inputBase64: z.string().optional(),
  maxOutputBytes: z.number().int().positive().optional(),
});

/** What a task needs before submission, as preflight checks it (the rest is checked by the client). */
const PreflightSchema = z.strictObject({
  op: z.literal('preflight'),
  provider,
  providerSettings,
  /** The task's volumes (already validated as part of its TaskConfig). */
  volumes: z.array(z.custom<VolumeSpec>((value) => VolumeSpecSchema.safeParse(value).success)),
  /** local.encrypt_volumes of the submitter: a new volume without `encrypted` is created encrypted. */
  encryptByDefault: z.boolean(),
  /** The task's image: a provider that runs it needs a container runtime. */
  image: z.string().min(1).optional(),
  /** The offer request (instanceType, minGpuMemoryGb, ...): it must be one the provider has at all. */
  offer: z.strictObject({
    instanceType: z.union([z.string(), z.array(z.string())]).optional(),
    minGpuMemoryGb: z.number().optional(),
    minCpus: z.number().optional(),
    minMemoryGb: z.number().optional(),
    region: z.string().optional(),
    maxPricePerHour: z.number().optional(),
  }),
  /** Prefixes messages: "step 'x': " for a pipeline's step. */
  label: z.string(),
});

export const ProviderOperationRequestSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('offers'), provider, providerSettings }),
  z.strictObject({ op: z.literal('listVolumes'), provider }),
  z.strictObject({ op: z.literal('getVolume'), provider, name: z.string() }),
  // The spec is the provider's to validate (its errors name the field and the fix).
  z.strictObject({ op: z.literal('createVolume'), provider, spec: z.record(z.string(), z.unknown()) }),
  z.strictObject({ op: z.literal('deleteVolume'), provider, name: z.string(), force: z.boolean().optional() }),
  z.strictObject({ op: z.literal('exec'), instance, command, options: ExecOptionsSchema.optional() }),
  z.strictObject({ op: z.literal('shellTarget'), instance, command: command.optional(), shell: z.string().optional() }),
  z.strictObject({ op: z.literal('portTarget'), instance, port: z.number().int() }),
  PreflightSchema,
  z.strictObject({ op: z.literal('hostChecks'), provider }),
  // The leak reaper (flow gc): every provider that lists what it holds, orphans older than graceMs.
  z.strictObject({ op: z.literal('gc'), graceMs: z.number().int().min(0), dryRun: z.boolean() }),
]);

export type ProviderOperationRequest = z.infer<typeof ProviderOperationRequestSchema>;
export type ProviderOperationName = ProviderOperationRequest['op'];

/**
 * Where a shell runs. `local`: on the worker's machine, which for the local provider is the
 * caller's too: spawn argv in cwd with the environment of process `pid` (the task's supervisor),
 * read by the caller from /proc/<pid>/environ, so the task's env and secrets never enter history.
 */
export type ProviderShellTarget =
  | { kind: 'local'; argv: string[]; cwd: string; pid: number }
  | SshShellTarget;

/** What the worker's machine offers a provider's tasks (flow doctor's provider-side checks). */
export interface HostChecks {
  bubblewrap: { available: true; path: string } | { available: false; reason: string };
  /** Path of gocryptfs, when installed. */
  gocryptfs?: string;
  /** Path of nvidia-smi, when on PATH. */
  nvidiaSmi?: string;
  gpus: Array<{ index: number; name: string; memoryGb: number }>;
}

/** Each operation's result, by `op`. */
export interface ProviderOperationResults {
  offers: { offers: Offer[]; defaultInstanceType: string; capabilities: ProviderCapabilities };
  listVolumes: VolumeInfo[];
  getVolume: VolumeInfo;
  createVolume: VolumeInfo;
  deleteVolume: { deleted: true };
  exec: ExecResult;
  shellTarget: ProviderShellTarget;
  portTarget: PortTarget;
  /** The task's volumes with local.encrypt_volumes applied to those that do not exist yet. */
  preflight: { volumes: VolumeSpec[] };
  hostChecks: HostChecks;
  gc: ReapReport;
}

export type ProviderOperationResult<O extends ProviderOperationName = ProviderOperationName> = ProviderOperationResults[O];

