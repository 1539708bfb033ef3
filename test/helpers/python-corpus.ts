/**
 * The Python Flow (flow-compute 3.28) corpus: task files in test/fixtures/python-3.28 written in
 * exactly the shape 3.28's TaskConfig.to_yaml() writes (every non-None field, declaration order),
 * with what Flow must make of each: the config, the warnings word for word, what a run prints
 * (on the local provider, with `-i cpu` added), or the refusal. Shared by the unit test
 * (python-compat) and the CLI end-to-end test (python-corpus-cli).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** test/fixtures/python-3.28 in the source tree (tests run from dist/test/...). */
export const CORPUS_DIR = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'python-3.28');

/** The reference facts about 3.28, beside the repository (absent outside this workplace). */
export const FACTS_FILE = join(__dirname, '..', '..', '..', '..', 'shared', 'reference', 'flow-compute-3.28-facts.md');

export function corpusText(file: string): string {
  return readFileSync(join(CORPUS_DIR, file), 'utf8');
}

/** The 1-based line of the first `key:` (at any depth, or as a list item) in a corpus file. */
export function lineOf(file: string, key: string): number {
  const index = corpusText(file)
    .split('\n')
    .findIndex((line) => new RegExp(`^\\s*(- )?${key}:`).test(line));
  if (index < 0) throw new Error(`${file} has no ${key}`);
  return index + 1;
}

/** Warnings for accepted-but-not-honoured fields, word for word (README.md says the same). */
export const PYTHON_WARNINGS = {
  placementHint: 'ignored: a placement hint; Flow starts the task as soon as it can and ends it when the command exits or max_run_time_hours passes',
  placement: 'ignored: Flow runs on the provider you choose (--provider or config.yaml)',
  workloadType: 'ignored: Flow runs every task as a batch job: the task ends when its command exits',
  distributedMode: 'ignored: Flow always sets FLOW_NODE_RANK, FLOW_NUM_NODES and FLOW_MAIN_IP for every rank',
  interconnect: 'ignored: Flow picks instances by instance_type (or min_gpu_memory_gb) only',
  constraints: 'ignored: Flow chooses offers by instance_type, region and max_price_per_hour only',
  devVm: 'ignored: Flow runs the command and ends the task when it exits (no dev VM)',
  uploadStrategy: 'ignored: Flow puts the code in place before the command starts',
  uploadTimeout: 'ignored: Flow puts the code in place before the command starts, with no upload time limit',
  serverless: 'ignored: serverless only; Flow runs the command on num_instances instances until it exits',
  webEndpoint: 'ignored: Flow opens no public web endpoint; list the port under ports and find it with task.endpoints()',
  retriesKey: 'ignored: retries takes max_retries, backoff_coefficient, initial_delay and max_delay (flow-compute 3.28 ignores other keys too)',
  iops: 'ignored: Flow does not provision IOPS',
  throughput: 'ignored: Flow does not provision throughput',
  dockerCache: 'ignored: Flow keeps no Docker data-root cache',
} as const;

/** Refusals (exit 3), word for word after "file:line: key: ". */
export const PYTHON_REFUSALS = {
  k8s: 'Flow does not run tasks on Kubernetes clusters',
  dataMounts: 'data mounts (s3://, volume://) are not supported; the task would start without its data',
  reservations: 'reservations are not supported; the task would run at once on capacity that is not reserved',
  runtimeFiles: 'Flow does not write runtime_files; the command would start without them',
  schedule: 'Flow has no schedules; the task would run now instead of on schedule',
  volumeId: 'Flow attaches volumes by name',
  retiredInstanceType: 'retired: flow-compute 3.28 refuses it too; use instance_type',
  retiredGpuMemory: 'retired: flow-compute 3.28 refuses it too; use min_gpu_memory_gb',
  retiredTimeout: 'retired: flow-compute 3.28 refuses it too; use max_run_time_hours',
  retiredMounts: 'retired: flow-compute 3.28 refuses it too (its successor data_mounts is not supported either); use volumes',
  retriesNumber: 'must be a mapping such as {max_retries: 3}; flow-compute 3.28 refuses a bare number too',
} as const;

/** The local provider's notes on a config (said by the CLI and Flow.submit); `image` in host mode (FLOW_NO_IMAGE=1), as the Python SDK's local provider runs. */
export const localProviderWarning = {
  image: (image: string) => `image: '${image}' ignored: host mode (--no-image / FLOW_NO_IMAGE=1) runs the command on this machine, not in its image`,
  region: (region: string) => `region: provider local runs on this machine; region ${region} is ignored`,
  priority: (priority: string) => `priority: provider local has no price tiers; priority ${priority} is recorded only`,
};

export interface RunnableCase {
  file: string;
  /** The validated config (TaskConfig.parse of what the file reads as). */
  config: Record<string, unknown>;
  /** File warnings as [key as written, message], in file order ("file:LINE: key: message"). */
  warnings: [string, string][];
  /** The local provider's notes, after the file's warnings. */
  providerWarnings: string[];
  /** What `flow run FILE -i cpu` prints on stdout. */
  stdout: string;
  /** The task id's prefix (the id is `<name>-<6 hex>`). */
  name: string;
}

const DEFAULTS = { env: {}, secrets: {}, volumes: [], ports: [], sshKeys: [], numInstances: 1, priority: 'med', uploadCode: true, uniqueName: true };

export const RUNNABLE: RunnableCase[] = [
  {
    // §6.1: TaskConfig(name="demo", command="python train.py", instance_type="8xh100").to_yaml()
    file: 'example-6.1.yaml',
    config: { ...DEFAULTS, name: 'demo-f1b199', instanceType: '8xh100', command: 'python train.py' },
    warnings: [],
    providerWarnings: [],
    stdout: 'train.py ran\n',
    name: 'demo-f1b199',
  },
  {
    file: 'defaults-volume.yaml',
    config: {
      ...DEFAULTS,
      name: 'py328-volume-3c9e1a',
      instanceType: '1xa100',
      command: 'echo "greeting=$GREETING batch=$BATCH_SIZE"\necho saved > /py328/data/out.txt\ncat /py328/data/out.txt',
      env: { GREETING: 'hello', BATCH_SIZE: '64' },
      volumes: [{ name: 'py328-data', sizeGb: 5, mountPath: '/py328/data', interface: 'file', createIfMissing: true }],
      ports: [8080],
      retries: { maxRetries: 3, backoffCoefficient: 2, initialDelay: 1 },
    },
    warnings: [],
    providerWarnings: [],
    stdout: 'greeting=hello batch=64\nsaved\n',
    name: 'py328-volume-3c9e1a',
  },
  {
    file: 'list-host.yaml',
    config: {
      ...DEFAULTS,
      name: 'py328-list-5d0c2b',
      idempotencyKey: 'py328-list-host',
      instanceType: ['8xh100', '4xa100'],
      minCpus: 1,
      minMemoryGb: 1,
      command: ['bash', '-c', 'echo "alternatives=$ALTERNATIVES price=$PRICE"'],
      env: { ALTERNATIVES: '8xh100,4xa100', PRICE: '12.5' },
      ports: [8080, 8888],
      maxPricePerHour: 12.5,
      maxRunTimeHours: 2,
      priority: 'high',
    },
    warnings: [],
    providerWarnings: [localProviderWarning.priority('high')],
    stdout: 'alternatives=8xh100,4xa100 price=12.5\n',
    name: 'py328-list-5d0c2b',
  },
  {
    file: 'warns-placement.yaml',
    config: {
      ...DEFAULTS,
      name: 'py328-warns-0a1b2c',
      instanceType: '1xa100',
      command: 'echo "mode=$MODE"',
      image: 'ubuntu:24.04',
      env: { MODE: 'interactive' },
      maxRunTimeHours: 2,
      region: 'us-central1-b',
      priority: 'low',
      // constraints.max_price_per_hour fills in the unset max_price_per_hour, as in 3.28.
      maxPricePerHour: 9.5,
    },
    warnings: [
      ['min_run_time_hours', PYTHON_WARNINGS.placementHint],
      ['deadline_hours', PYTHON_WARNINGS.placementHint],
      ['placement', PYTHON_WARNINGS.placement],
      ['workload_type', PYTHON_WARNINGS.workloadType],
      ['distributed_mode', PYTHON_WARNINGS.distributedMode],
      ['internode_interconnect', PYTHON_WARNINGS.interconnect],
      ['intranode_interconnect', PYTHON_WARNINGS.interconnect],
      ['upload_timeout', PYTHON_WARNINGS.uploadTimeout],
      ['web_endpoint', PYTHON_WARNINGS.webEndpoint],
    ],
    providerWarnings: [localProviderWarning.image('ubuntu:24.04'), localProviderWarning.region('us-central1-b'), localProviderWarning.priority('low')],
    stdout: 'mode=interactive\n',
    name: 'py328-warns-0a1b2c',
  },
  {
    file: 'warns-runtime.yaml',
    config: { ...DEFAULTS, name: 'py328-runtime-9f8e7d', instanceType: '1xa100', command: 'echo "upload=$UPLOAD"', env: { UPLOAD: 'scp' } },
    warnings: [
      ['dev_vm', PYTHON_WARNINGS.devVm],
      ['upload_strategy', PYTHON_WARNINGS.uploadStrategy],
      ['min_containers', PYTHON_WARNINGS.serverless],
      ['max_containers', PYTHON_WARNINGS.serverless],
      ['scaledown_window', PYTHON_WARNINGS.serverless],
      ['concurrency', PYTHON_WARNINGS.serverless],
    ],
    providerWarnings: [],
    stdout: 'upload=scp\n',
    name: 'py328-runtime-9f8e7d',
  },
];

export interface RefusedCase {
  file: string;
  /** The key as written, and where the error points (a key below it for nested ones). */
  key: string;
  /** "volumes[0].volume_id" for nested keys; the key otherwise. */
  spelled: string;
  /** ValidationError.field */
  field: string;
  message: string;
}

export const REFUSED: RefusedCase[] = [
  { file: 'refuse-k8s.yaml', key: 'k8s', spelled: 'k8s', field: 'k8s', message: PYTHON_REFUSALS.k8s },
  { file: 'refuse-data-mounts.yaml', key: 'data_mounts', spelled: 'data_mounts', field: 'dataMounts', message: PYTHON_REFUSALS.dataMounts },
  { file: 'refuse-reserved.yaml', key: 'allocation_mode', spelled: 'allocation_mode', field: 'allocationMode', message: PYTHON_REFUSALS.reservations },
  { file: 'refuse-runtime-files.yaml', key: 'runtime_files', spelled: 'runtime_files', field: 'runtimeFiles', message: PYTHON_REFUSALS.runtimeFiles },
  { file: 'refuse-schedule.yaml', key: 'schedule', spelled: 'schedule', field: 'schedule', message: PYTHON_REFUSALS.schedule },
  { file: 'refuse-volume-id.yaml', key: 'volume_id', spelled: 'volumes[0].volume_id', field: 'volumes.0.volumeId', message: PYTHON_REFUSALS.volumeId },
];

/** "file:LINE: key: message" for a corpus warning. */
export function located(file: string, key: string, message: string): string {
  return `${file}:${lineOf(file, key)}: ${key}: ${message}`;
}
