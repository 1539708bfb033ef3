/**
 * The task file `flow init` writes, in the shape of the Python Flow CLI 3.28's template: the
 * essentials uncommented at the top (name, instance_type, command as a block literal), every
 * other field as a commented hint with a short note, grouped by topic, keys in snake_case.
 */
import { basename } from 'node:path';

export interface TemplateSeed {
  name: string;
  /** Exactly one of instanceType and minGpuMemoryGb is set. */
  instanceType?: string;
  minGpuMemoryGb?: number;
  command: string;
  image?: string;
  env: Record<string, string>;
  ports: number[];
  priority?: string;
  maxPricePerHour?: number;
  sshKeys: string[];
  /** --no-unique: the name is the task id, without the random suffix. */
  uniqueName: boolean;
}

/**
 * 3.28's default is `echo "Hello from Flow!"` then `nvidia-smi`; on a machine without GPUs
 * nvidia-smi is missing and the task would fail with 127, so it degrades to a message.
 */
export const DEFAULT_COMMAND = 'echo "Hello from Flow!"\nnvidia-smi 2>/dev/null || echo "No GPU here (nvidia-smi is missing or failed)"';
export const DEFAULT_INSTANCE_TYPE = '8xh100';
const MAX_NAME_LENGTH = 48; // TaskConfig's limit

/** The current folder's name in the task-name grammar `^[a-z0-9][a-z0-9._-]*$`, else "my-task" (as 3.28). */
export function defaultTaskName(cwd: () => string = process.cwd): string {
  let folder: string;
  try {
    folder = basename(cwd());
  } catch {
    return 'my-task'; // the current folder was removed
  }
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, MAX_NAME_LENGTH)
    .replace(/-+$/, '');
  return name || 'my-task';
}

const COLUMN = 42; // where the notes of commented fields start, as 3.28 aligns them

function hint(field: string, note: string): string {
  return `${`# ${field}`.padEnd(COLUMN - 1)} ${note}`;
}

/** A string as a YAML scalar that reads back as the same string: plain when it can be, else quoted ("2024", "true"). */
function scalar(value: string): string {
  const yaml = require('yaml') as typeof import('yaml'); // lazy: keeps CLI start-up fast
  return yaml.stringify(value, { lineWidth: 0 }).trimEnd();
}

/** A number as Python's float() prints it (12 → 12.0), as 3.28 writes max_price_per_hour. */
function pythonFloat(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** `command: |` and the lines; an indentation indicator when the first line starts with spaces. */
function blockLiteral(key: string, text: string): string[] {
  const lines = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
  const firstContent = lines.find((line) => line.trim() !== '') ?? '';
  const indicator = /^\s/.test(firstContent) ? '2' : '';
  return [`${key}: |${indicator}`, ...lines.map((line) => (line === '' ? '' : `  ${line}`))];
}

export function renderTemplate(seed: TemplateSeed): string {
  const lines: string[] = [
    '# Flow task config -- run with: flow run task.yaml',
    '# Fields left unspecified are intelligently inferred by Flow.',
    '# Uncomment and customize any section below as needed.',
    '',
    `name: ${scalar(seed.name)}`,
  ];
  if (!seed.uniqueName) lines.push(`${'unique_name: false'.padEnd(COLUMN - 1)} # the name is the task id (no random suffix)`);
  if (seed.minGpuMemoryGb !== undefined) {
    lines.push(`min_gpu_memory_gb: ${seed.minGpuMemoryGb}`, hint(`instance_type: ${DEFAULT_INSTANCE_TYPE}`, '# alternative: h100 | 8xb200 | a100'));
  } else {
    lines.push(`instance_type: ${scalar(seed.instanceType ?? DEFAULT_INSTANCE_TYPE)}`, hint('min_gpu_memory_gb: 40', '# alternative: any GPU with >= N GB'));
  }
  lines.push(seed.image !== undefined ? `image: ${scalar(seed.image)}` : hint('image: nvidia/cuda:12.1.0-runtime-ubuntu22.04', '# optional: Docker image'));

  lines.push('');
  if (seed.command === DEFAULT_COMMAND) lines.push('# Without a GPU there is no nvidia-smi: "|| echo" keeps the task from failing there.');
  lines.push(...blockLiteral('command', seed.command));

  lines.push('');
  const env = Object.entries(seed.env);
  if (env.length > 0) lines.push('env:', ...env.map(([key, value]) => `  ${scalar(key)}: ${JSON.stringify(value)}`));
  else lines.push('# env:', '#   WANDB_API_KEY: "..."', '#   DATASET: imagenet');

  lines.push(
    '',
    '# -- Storage --',
    '#',
    '# volumes:',
    '#   - name: training-data',
    '#     size_gb: 100',
    '#     mount_path: /data',
    '#',
    hint('data_mounts:', '# cloud storage (S3, GCS)'),
    '#   - source: s3://bucket/dataset',
    '#     target: /data/dataset',
  );

  lines.push('', '# -- Networking --', '#');
  lines.push(seed.ports.length > 0 ? `ports: [${seed.ports.join(', ')}]` : hint('ports: [8888, 6006]', '# Jupyter, TensorBoard'));
  if (seed.sshKeys.length > 0) lines.push('ssh_keys:', ...seed.sshKeys.map((key) => `  - ${scalar(key)}`));
  else lines.push('# ssh_keys:', '#   - ~/.ssh/id_ed25519');

  lines.push('', '# -- Cost control --', '#');
  lines.push(seed.priority !== undefined ? `priority: ${seed.priority}` : hint('priority: med', '# low | med | high'));
  lines.push(seed.maxPricePerHour !== undefined ? `max_price_per_hour: ${pythonFloat(seed.maxPricePerHour)}` : hint('max_price_per_hour: 12.50', '# USD hourly cap'));
  lines.push(hint('allocation_mode: spot', '# spot | reserved | auto'), hint('reservation_id: res-abc123', '# target reserved capacity'));

  lines.push(
    '',
    '# -- Lifecycle --',
    '#',
    '# max_run_time_hours: 24',
    hint('terminate_on_exit: true', '# cancel when command finishes'),
    '# retries:',
    '#   max_retries: 3',
    '#   backoff_seconds: 60',
    '',
    '# -- Code upload --',
    '#',
    hint('upload_code: true', '# sync current directory to instance'),
    '# working_dir: /workspace',
    hint('upload_strategy: auto', '# auto | embedded | scp | none'),
    '',
    '# -- Multi-node scaling --',
    '#',
    hint('num_instances: 1', '# multi-node: 2, 4, 8'),
    hint('distributed_mode: auto', '# auto | manual (torchrun rendezvous)'),
    hint('internode_interconnect: IB_3200', '# InfiniBand for multi-node'),
    '',
    '# -- Region and placement --',
    '#',
    hint('region: us-central1-a', '# auto-selected if omitted'),
    hint('k8s: my-cluster', '# target a Kubernetes cluster'),
    '',
  );
  return lines.join('\n');
}
