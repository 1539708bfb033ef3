/**
 * A task file for Python Flow (flow-compute 3.28), as its `TaskConfig.to_yaml()` writes one: only
 * its fields, in its declaration order, in its shapes (volumes whole, retries with their defaults,
 * hours and prices as floats), so its `TaskConfig.from_yaml()` reads it. Flow settings 3.28 has no
 * field for are named in a comment at the top instead (secret names only, never values).
 */
import type { Document, Scalar } from 'yaml';
import { volumeMountPath, type TaskConfig } from '../domain';
import { snakeKey } from './task-file';

type YamlModule = typeof import('yaml');

/** 3.28's task names (Flow also allows upper-case letters). */
const PYTHON_NAME = /^[a-z0-9][a-z0-9._-]*$/;

/** A number written as 3.28 writes a float field: 2 → 2.0. */
function float(yaml: YamlModule, value: number | undefined): Scalar | undefined {
  if (value === undefined) return undefined;
  const node = new yaml.Scalar(value);
  node.minFractionDigits = 1;
  return node;
}

/** The 3.28 fields for `config`, in 3.28's declaration order; undefined ones are left out. */
function pythonFields(yaml: YamlModule, config: TaskConfig): Record<string, unknown> {
  // 3.28 refuses block volumes on several instances; Flow's volumes are alike either way.
  const defaultInterface = config.numInstances > 1 ? 'file' : 'block';
  return {
    name: config.name,
    // Written always: 3.28 reads a named file without it as unique_name: false.
    unique_name: config.uniqueName,
    idempotency_key: config.idempotencyKey,
    instance_type: config.instanceType,
    min_gpu_memory_gb: config.minGpuMemoryGb,
    min_cpus: config.minCpus,
    min_memory_gb: config.minMemoryGb,
    command: config.command,
    image: config.image,
    env: config.env,
    working_dir: config.workingDir,
    volumes: config.volumes.map((volume) => ({
      name: volume.name,
      size_gb: volume.sizeGb,
      mount_path: volumeMountPath(volume),
      interface: volume.interface ?? defaultInterface,
      // Flow creates a missing volume unless told not to; 3.28 only when asked.
      create_if_missing: volume.createIfMissing ?? true,
    })),
    data_mounts: [],
    ports: config.ports,
    retries: config.retries && {
      max_retries: config.retries.maxRetries,
      backoff_coefficient: float(yaml, config.retries.backoffCoefficient),
      initial_delay: float(yaml, config.retries.initialDelay),
      max_delay: float(yaml, config.retries.maxDelay),
    },
    max_price_per_hour: float(yaml, config.maxPricePerHour),
    max_run_time_hours: float(yaml, config.maxRunTimeHours),
    workload_type: 'batch',
    preemptible_ok: true,
    ssh_keys: config.sshKeys,
    allocation_mode: 'spot',
    region: config.region,
    num_instances: config.numInstances,
    priority: config.priority,
    upload_code: config.uploadCode,
    upload_strategy: 'auto',
    upload_mode: 'scp-background',
    // Flow always ends the task and releases its instances when the command exits.
    terminate_on_exit: true,
    upload_timeout: 600,
    runtime_files: {},
    web_endpoint: false,
    code_root: config.codeRoot,
  };
}

/** Leaves out unset fields (3.28 writes no None either), in nested mappings too. */
function withoutUndefined(yaml: YamlModule, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    const nested = item !== null && typeof item === 'object' && !Array.isArray(item) && !yaml.isNode(item);
    out[key] = nested ? withoutUndefined(yaml, item as Record<string, unknown>) : item;
  }
  return out;
}

/** Comment lines: Flow-only settings (not written as keys) and values 3.28 would refuse. */
function headerLines(config: TaskConfig): string[] {
  const flowOnly: string[] = [];
  const secrets = Object.keys(config.secrets);
  if (secrets.length > 0) flowOnly.push(`secrets: ${secrets.join(', ')} (names only; pass the values with --secret)`);
  if (config.maxTotalCostUsd !== undefined) flowOnly.push(`max_total_cost_usd: ${config.maxTotalCostUsd}`);
  if (config.maxPendingHours !== undefined) flowOnly.push(`max_pending_hours: ${config.maxPendingHours}`);
  if (config.retry !== undefined) {
    flowOnly.push(`retry: {${Object.entries(config.retry).map(([key, value]) => `${snakeKey(key)}: ${String(value)}`).join(', ')}}`);
  }
  if (config.provider !== undefined) flowOnly.push(`provider: ${config.provider}`);
  if (config.pool !== undefined) flowOnly.push(`pool: ${config.pool}`);
  const lines: string[] = [];
  if (flowOnly.length > 0) {
    lines.push(' Flow settings that flow-compute 3.28 has no field for (not written as keys):', ...flowOnly.map((line) => `   ${line}`));
  }
  if (config.name !== undefined && !PYTHON_NAME.test(config.name)) {
    lines.push(` flow-compute 3.28 allows only lower-case letters, digits, ".", "_" and "-" in name ('${config.name}')`);
  }
  if ([config.instanceType, config.minGpuMemoryGb, config.minCpus, config.minMemoryGb].every((value) => value === undefined)) {
    lines.push(' flow-compute 3.28 needs instance_type, min_gpu_memory_gb, min_cpus or min_memory_gb; Flow lets the provider choose');
  }
  return lines;
}

/** The YAML text of a validated config for flow-compute 3.28. */
export function pythonTaskYaml(config: TaskConfig): string {
  const yaml = require('yaml') as YamlModule; // lazy: keeps CLI start-up fast
  const doc: Document = new yaml.Document(withoutUndefined(yaml, pythonFields(yaml, config)));
  const header = headerLines(config);
  if (header.length > 0) doc.commentBefore = header.join('\n');
  // PyYAML's safe_dump style: sequences not indented under their key, single quotes.
  return doc.toString({ lineWidth: 0, indentSeq: false, singleQuote: true });
}
