import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValidationError } from '../../src/domain/errors';
import { containerName, containerRemoveArgs, containerRunArgs, containerStopArgs, parsePullPolicy, runtimeOrder, type ContainerRunSpec } from '../../src/containers';
import { containerEnvironment, containerWorkDir, supervisorEnvironment } from '../../src/providers/local/container-launch';

const base: ContainerRunSpec = {
  runtime: 'podman',
  name: 'flow-train-ab12cd-0',
  image: 'nvcr.io/nvidia/pytorch:24.01-py3',
  command: 'python train.py',
  envNames: ['BATCH', 'HF_TOKEN'],
  mounts: [{ hostPath: '/home/u/.flow/volumes/data', containerPath: '/data' }],
  workDir: '/data/run',
  network: 'host',
  gpus: false,
};

/** The value after each occurrence of `flag`. */
function values(args: string[], flag: string): string[] {
  return args.flatMap((arg, index) => (arg === flag ? [args[index + 1] ?? ''] : []));
}

describe('containerRunArgs', () => {
  test('names the container, runs --init, never --rm, never pulls by itself', () => {
    const args = containerRunArgs(base);
    assert.equal(args[0], 'run');
    assert.deepEqual(values(args, '--name'), ['flow-train-ab12cd-0']);
    assert.ok(args.includes('--init'));
    assert.ok(!args.includes('--rm'));
    assert.deepEqual(values(args, '--pull'), ['never']);
  });

  test('passes env by name only: no value is in argv', () => {
    const args = containerRunArgs({ ...base, envNames: ['BATCH', 'HF_TOKEN'] });
    assert.deepEqual(values(args, '--env'), ['BATCH', 'HF_TOKEN']);
    assert.ok(args.every((arg) => !arg.includes('=') || arg.startsWith('flow.')), `no KEY=VALUE in ${args.join(' ')}`);
  });

  test('bind-mounts volumes at their mount paths and sets the working dir', () => {
    const args = containerRunArgs(base);
    assert.deepEqual(values(args, '--volume'), ['/home/u/.flow/volumes/data:/data']);
    assert.deepEqual(values(args, '--workdir'), ['/data/run']);
    assert.equal(values(containerRunArgs({ ...base, workDir: undefined }), '--workdir').length, 0);
  });

  test('host network, or ports published one by one', () => {
    assert.deepEqual(values(containerRunArgs(base), '--network'), ['host']);
    const published = containerRunArgs({ ...base, network: { publish: [8080, 29500] } });
    assert.deepEqual(values(published, '--publish'), ['8080:8080', '29500:29500']);
    assert.equal(values(published, '--network').length, 0);
  });

  test('GPUs only when the task has them, with each runtime\'s own flag', () => {
    assert.ok(!containerRunArgs(base).includes('--gpus'));
    assert.ok(!containerRunArgs(base).includes('--device'));
    assert.deepEqual(values(containerRunArgs({ ...base, gpus: true }), '--device'), ['nvidia.com/gpu=all']);
    assert.ok(!containerRunArgs({ ...base, gpus: true }).includes('--gpus'), 'podman ignores --gpus');
    assert.deepEqual(values(containerRunArgs({ ...base, runtime: 'docker', gpus: true }), '--gpus'), ['all']);
  });

  test('the image, then a string command through /bin/sh -c, or an argv as given', () => {
    const args = containerRunArgs(base);
    assert.deepEqual(args.slice(-4), ['nvcr.io/nvidia/pytorch:24.01-py3', '/bin/sh', '-c', 'python train.py']);
    const argv = containerRunArgs({ ...base, command: ['python', '-c', 'print(1)'] });
    assert.deepEqual(argv.slice(-4), ['nvcr.io/nvidia/pytorch:24.01-py3', 'python', '-c', 'print(1)']);
  });

  test('labels name the task and rank', () => {
    const args = containerRunArgs({ ...base, labels: { 'flow.task': 'train-ab12cd', 'flow.rank': '0' } });
    assert.deepEqual(values(args, '--label'), ['flow.task=train-ab12cd', 'flow.rank=0']);
  });
});

describe('container names and commands', () => {
  test('one name per task and rank; a restarted attempt gets its own', () => {
    assert.equal(containerName({ taskId: 'train-ab12cd', rank: 1, attempt: 0 }), 'flow-train-ab12cd-1');
    assert.equal(containerName({ taskId: 'train-ab12cd', rank: 1, attempt: 2 }), 'flow-train-ab12cd-1-a2');
  });

  test('stop with grace in whole seconds; remove is forced and keeps volumes', () => {
    assert.deepEqual(containerStopArgs('flow-x-0', 10), ['stop', '-t', '10', 'flow-x-0']);
    assert.deepEqual(containerStopArgs('flow-x-0', 0.5), ['stop', '-t', '1', 'flow-x-0']);
    assert.deepEqual(containerRemoveArgs('flow-x-0'), ['rm', '-f', 'flow-x-0']);
  });
});

describe('runtime order and pull policy', () => {
  test('docker then podman by default; a setting picks the order', () => {
    assert.deepEqual(runtimeOrder(undefined), ['docker', 'podman']);
    assert.deepEqual(runtimeOrder(' podman '), ['podman']);
    assert.deepEqual(runtimeOrder('podman,docker'), ['podman', 'docker']);
    assert.throws(() => runtimeOrder('containerd'), (error: unknown) => error instanceof ValidationError && /containerd/.test(error.message));
  });

  test('pull policy: missing by default; others named', () => {
    assert.equal(parsePullPolicy(undefined), 'missing');
    assert.equal(parsePullPolicy('Always'), 'always');
    assert.equal(parsePullPolicy('never'), 'never');
    assert.throws(() => parsePullPolicy('sometimes'), /FLOW_IMAGE_PULL_POLICY: 'sometimes' is not a pull policy/);
  });
});

describe('container env and working dir (local provider)', () => {
  test('the container sees the task env, secrets, volume paths as mounted, GPUs; not the worker\'s PATH', () => {
    const env = containerEnvironment({
      spec: { env: { BATCH: '32' }, secrets: { HF_TOKEN: 'hf_secret' } },
      mounts: [{ name: 'my-data', sizeGb: 1, hostDir: '/h/volumes/my-data', mountPath: '/data' } as never],
      gpu: { CUDA_VISIBLE_DEVICES: '0,1' },
    });
    assert.deepEqual(env, { PYTHONUNBUFFERED: '1', FLOW_VOLUME_MY_DATA: '/data', CUDA_VISIBLE_DEVICES: '0,1', BATCH: '32', HF_TOKEN: 'hf_secret' });
  });

  test('the supervisor keeps what the runtime CLI needs from the worker, and nothing else of it', () => {
    const env = supervisorEnvironment({ BATCH: '32' }, { PATH: '/usr/bin', CONTAINERS_CONF: '/etc/c.conf', MITHRIL_API_KEY: 'k', HOME: '/root' });
    assert.deepEqual(env, { PATH: '/usr/bin', HOME: '/root', CONTAINERS_CONF: '/etc/c.conf', BATCH: '32' });
  });

  test('working dir: the task\'s, else the code folder mounted at its own path, else the image\'s', () => {
    assert.deepEqual(containerWorkDir({ workingDir: '/work', codeDir: '/home/u/proj' }), { workDir: '/work' });
    assert.deepEqual(containerWorkDir({ codeDir: '/home/u/proj' }), { workDir: '/home/u/proj', codeMount: '/home/u/proj' });
    assert.deepEqual(containerWorkDir({}), {});
  });
});
