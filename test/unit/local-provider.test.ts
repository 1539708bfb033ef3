import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { ProviderError, ValidationError } from '../../src/domain/errors';
import type { InstanceRef, NodeSpec, Offer } from '../../src/domain';
import type { CommandState } from '../../src/providers/provider';
import {
  LocalProvider,
  detectGpus,
  localOffers,
  parseNvidiaSmiOutput,
  probeBubblewrap,
  selectGpuIndices,
} from '../../src/providers/local';
import type { GpuInfo } from '../../src/providers/local';
import { commandShell } from '../../src/providers/local/supervisor';
import { findOnPath } from '../../src/providers/local/which';
import { untilFileExists } from '../helpers/release-file';
import { waitFor } from '../helpers/wait-for';

// ---------------------------------------------------------------------------------------------
// Fixtures

const homes: string[] = [];
const started: Array<{ provider: LocalProvider; instance: InstanceRef }> = [];
const mountPathsToRemove: string[] = [];
const topLevelsToRemove: string[] = [];

after(async () => {
  for (const { provider, instance } of started) await provider.stopCommand(instance, 0).catch(() => undefined);
  for (const path of mountPathsToRemove) removeMountPath(path);
  for (const path of topLevelsToRemove) rmSync(path, { recursive: true, force: true });
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  homes.push(dir);
  return dir;
}

function tempHome(): string {
  return tempDir('flow-local-');
}

let taskCounter = 0;
function makeSpec(overrides: Partial<NodeSpec> = {}): NodeSpec {
  taskCounter += 1;
  return {
    taskId: `t${process.pid}x${taskCounter}`,
    rank: 0,
    attempt: 0,
    command: 'true',
    env: {},
    secrets: {},
    volumes: [],
    instanceType: 'cpu',
    ...overrides,
  };
}

const CPU_OFFER: Offer = localOffers([])[0]!;

function provider(home: string, options: { gpus?: GpuInfo[]; bubblewrap?: 'auto' | 'off' } = {}): LocalProvider {
  return new LocalProvider({ home, gpus: options.gpus ?? [], bubblewrap: options.bubblewrap ?? 'off' });
}

async function start(p: LocalProvider, spec: NodeSpec): Promise<InstanceRef> {
  const instance = await p.provision(spec, CPU_OFFER);
  started.push({ provider: p, instance });
  await p.startCommand(instance, spec);
  return instance;
}

async function waitExited(p: LocalProvider, instance: InstanceRef, timeoutMs = 10_000): Promise<Extract<CommandState, { state: 'exited' }>> {
  return waitFor(
    async () => {
      const state = await p.commandState(instance);
      return state.state === 'exited' ? state : undefined;
    },
    { timeoutMs, message: `${instance.instanceId} to exit` },
  );
}

async function output(p: LocalProvider, instance: InstanceRef): Promise<string> {
  return (await p.readOutput(instance, 0, 1 << 20)).toString('utf8');
}

async function waitOutput(p: LocalProvider, instance: InstanceRef, text: string): Promise<void> {
  await waitFor(async () => (await output(p, instance)).includes(text), { message: `output of ${instance.instanceId} to contain ${JSON.stringify(text)}` });
}

async function run(p: LocalProvider, overrides: Partial<NodeSpec>): Promise<{ instance: InstanceRef; state: Extract<CommandState, { state: 'exited' }>; out: string }> {
  const instance = await start(p, makeSpec(overrides));
  const state = await waitExited(p, instance);
  return { instance, state, out: await output(p, instance) };
}

async function runningPid(p: LocalProvider, instance: InstanceRef): Promise<number> {
  return waitFor(
    async () => {
      const state = await p.commandState(instance);
      return state.state === 'running' && state.pid !== undefined ? state.pid : undefined;
    },
    { message: 'supervisor pid' },
  );
}

/** Processes whose process group or session is `leader`, read straight from /proc. */
function procMembers(leader: number): Array<{ pid: number; state: string; pgid: number }> {
  const members: Array<{ pid: number; state: string; pgid: number }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === leader || Number(fields[3]) === leader) members.push({ pid: Number(entry), state: fields[0]!, pgid: Number(fields[2]) });
  }
  return members;
}

function liveMembers(leader: number): number[] {
  return procMembers(leader)
    .filter((member) => member.state !== 'Z' && member.state !== 'X')
    .map((member) => member.pid);
}

/** kill(-pgid, 0): ESRCH means no process of the group exists, not even a zombie. */
function groupSignalable(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ESRCH');
    return false;
  }
}

/**
 * Nothing of the group lives. kill(-pgid, 0) still succeeds for zombies, which linger where
 * PID 1 does not reap orphans (as in some containers and VMs), so those are allowed.
 */
function assertGroupGone(pgid: number): void {
  assert.deepEqual(liveMembers(pgid), [], `live processes left in group ${pgid}`);
  if (groupSignalable(pgid)) {
    const members = procMembers(pgid);
    assert.ok(members.every((member) => member.state === 'Z' || member.state === 'X'), `group ${pgid} still has ${JSON.stringify(members)}`);
  }
}

function uniqueVolumeName(): string {
  return `flowtest-${randomBytes(4).toString('hex')}`;
}

function removeMountPath(path: string): void {
  try {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) unlinkSync(path);
    else if (stat.isDirectory()) rmdirSync(path);
  } catch {
    // already gone, or not ours to remove
  }
}

/** Whether this user may create entries at / (the symlink fallback needs it for paths like /volumes). */
function canWriteRoot(): boolean {
  try {
    accessSync('/', constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** A folder at / that does not exist, removed after the tests should a test leave it behind. */
function uniqueTopLevel(): string {
  const path = `/flowtest-${process.pid}-${randomBytes(4).toString('hex')}`;
  topLevelsToRemove.push(path);
  return path;
}

/** What a test needs and lacks: skipped on a developer's machine, a failure on CI (which installs it). */
function requireOrSkip(t: TestContext, available: boolean, reason: string): boolean {
  if (available) return true;
  if (process.env.CI) assert.fail(`${reason}, but CI must provide it`);
  t.skip(reason);
  return false;
}

function fakeGpus(count: number, name: string, memoryGb: number, model: string): GpuInfo[] {
  return Array.from({ length: count }, (_, index) => ({ index, name, model, memoryGb }));
}

// ---------------------------------------------------------------------------------------------
// GPUs and offers

describe('gpu discovery', () => {
  test('parseNvidiaSmiOutput maps nvidia-smi names to GPU model keys', () => {
    const sample = [
      '0, NVIDIA H100 80GB HBM3, 81559',
      '1, NVIDIA A100-SXM4-80GB, 81920',
      '2, NVIDIA A100-SXM4-40GB, 40960',
      '3, Tesla T4, 15360',
      '4, NVIDIA L4, 23034',
      '5, NVIDIA A10G, 23028',
      '6, NVIDIA L40S, 46068',
      '7, NVIDIA H100 NVL, 95830',
      '8, NVIDIA GeForce RTX 4090, 24564',
      '9, NVIDIA A10, 23028',
      '10, Tesla V100-SXM2-32GB, 32768',
      '11, NVIDIA H200, 143771',
      '12, NVIDIA RTX A6000, 49140',
      '',
      'not a gpu line',
    ].join('\n');
    const gpus = parseNvidiaSmiOutput(sample);
    assert.deepEqual(
      gpus.map((gpu) => [gpu.index, gpu.model]),
      [
        [0, 'h100'],
        [1, 'a100'],
        [2, 'a100-40gb'],
        [3, 't4'],
        [4, 'l4'],
        [5, 'a10g'],
        [6, 'l40s'],
        [7, 'h100-94gb'],
        [8, 'geforce-rtx-4090'],
        [9, 'a10'],
        [10, 'v100-32gb'],
        [11, 'h200'],
        [12, 'rtx-a6000'],
      ],
    );
    assert.deepEqual(gpus[0], { index: 0, name: 'NVIDIA H100 80GB HBM3', model: 'h100', memoryGb: 80 });
    assert.equal(gpus[8]!.memoryGb, 24, 'unknown models keep the memory nvidia-smi reports');
    assert.deepEqual(parseNvidiaSmiOutput(''), []);
  });

  test('detectGpus runs nvidia-smi from PATH; [] without it, on failure, or on timeout', async () => {
    const bin = tempDir('flow-fake-smi-');
    const argsFile = join(bin, 'args');
    writeFileSync(join(bin, 'nvidia-smi'), `#!/bin/sh\necho "$@" > '${argsFile}'\nprintf '0, NVIDIA L4, 23034\\n1, NVIDIA L4, 23034\\n'\n`);
    chmodSync(join(bin, 'nvidia-smi'), 0o755);
    const gpus = await detectGpus({ env: { PATH: `${bin}:/usr/bin:/bin` } });
    assert.deepEqual(gpus, [
      { index: 0, name: 'NVIDIA L4', model: 'l4', memoryGb: 22 },
      { index: 1, name: 'NVIDIA L4', model: 'l4', memoryGb: 22 },
    ]);
    assert.equal(readFileSync(argsFile, 'utf8').trim(), '--query-gpu=index,name,memory.total --format=csv,noheader,nounits');

    assert.deepEqual(await detectGpus({ env: { PATH: tempDir('flow-empty-path-') } }), []);

    const failing = tempDir('flow-failing-smi-');
    writeFileSync(join(failing, 'nvidia-smi'), '#!/bin/sh\necho "NVIDIA-SMI has failed" >&2\nexit 9\n');
    chmodSync(join(failing, 'nvidia-smi'), 0o755);
    assert.deepEqual(await detectGpus({ env: { PATH: `${failing}:/usr/bin:/bin` } }), []);

    const hanging = tempDir('flow-hanging-smi-');
    writeFileSync(join(hanging, 'nvidia-smi'), '#!/bin/sh\nexec sleep 30\n');
    chmodSync(join(hanging, 'nvidia-smi'), 0o755);
    const before = Date.now();
    assert.deepEqual(await detectGpus({ env: { PATH: `${hanging}:/usr/bin:/bin` }, timeoutMs: 200 }), []);
    assert.ok(Date.now() - before < 5000, 'a hanging nvidia-smi is cut off by the timeout');
  });
});

describe('offers', () => {
  test('cpu only, and defaultInstanceType cpu, on a machine without GPUs', async () => {
    const p = provider(tempHome(), { gpus: [] });
    const offers = await p.listOffers();
    assert.deepEqual(offers, [
      { ...CPU_OFFER, instanceType: 'cpu', spec: { name: 'cpu', gpuModel: null, gpuCount: 0, gpuMemoryGb: 0 }, pricePerHour: 0, region: 'local', available: 1 },
    ]);
    // Every local shape has this machine's CPUs and memory (for minCpus / minMemoryGb).
    assert.deepEqual([offers[0]!.cpus, offers[0]!.memoryGb], [availableParallelism(), Math.floor(totalmem() / 2 ** 30)]);
    assert.equal(await p.defaultInstanceType(), 'cpu');
  });

  test('kx<model> for k in 1,2,4,8 up to N, plus N; all free, region local', async () => {
    const six = provider(tempHome(), { gpus: fakeGpus(6, 'NVIDIA H100 80GB HBM3', 80, 'h100') });
    const offers = await six.listOffers();
    assert.deepEqual(offers.map((offer) => offer.instanceType), ['cpu', '1xh100', '2xh100', '4xh100', '6xh100']);
    assert.ok(offers.every((offer) => offer.pricePerHour === 0 && offer.region === 'local' && offer.available === 1));
    assert.deepEqual(offers[2]!.spec, { name: '2xh100', gpuModel: 'h100', gpuCount: 2, gpuMemoryGb: 80, interconnect: undefined });
    assert.equal(await six.defaultInstanceType(), '6xh100');

    const eight = provider(tempHome(), { gpus: fakeGpus(8, 'NVIDIA A100-SXM4-40GB', 40, 'a100-40gb') });
    assert.deepEqual((await eight.listOffers()).map((offer) => offer.instanceType), ['cpu', '1xa100-40gb', '2xa100-40gb', '4xa100-40gb', '8xa100-40gb']);
    assert.equal(await eight.defaultInstanceType(), '8xa100-40gb');

    const unknown = provider(tempHome(), { gpus: fakeGpus(1, 'NVIDIA GeForce RTX 4090', 24, 'geforce-rtx-4090') });
    const [, rtx] = await unknown.listOffers();
    assert.deepEqual(rtx!.spec, { name: '1xgeforce-rtx-4090', gpuModel: 'geforce-rtx-4090', gpuCount: 1, gpuMemoryGb: 24 });
    assert.equal(await unknown.defaultInstanceType(), '1xgeforce-rtx-4090');
  });

  test('selectGpuIndices takes the first k GPUs and rejects what the machine lacks', () => {
    const gpus = fakeGpus(4, 'NVIDIA A100-SXM4-80GB', 80, 'a100');
    assert.deepEqual(selectGpuIndices('cpu', gpus), []);
    assert.deepEqual(selectGpuIndices('2xa100', gpus), [0, 1]);
    assert.deepEqual(selectGpuIndices('a100', gpus), [0]);
    assert.deepEqual(selectGpuIndices('a100-80gb.sxm.4x', gpus), [0, 1, 2, 3]);
    assert.throws(() => selectGpuIndices('8xa100', gpus), (error: unknown) => error instanceof ValidationError && error.field === 'instanceType');
    assert.throws(() => selectGpuIndices('1xh100', gpus), ValidationError);
  });
});

// ---------------------------------------------------------------------------------------------
// Instances and commands

describe('provision and isReady', () => {
  test('provision creates the instance dir, instance.json and volume folders, idempotently', async () => {
    const home = tempHome();
    const p = provider(home);
    const name = uniqueVolumeName();
    const spec = makeSpec({ rank: 2, attempt: 1, volumes: [{ name, sizeGb: 1 }] });
    const instance = await p.provision(spec, CPU_OFFER);
    assert.deepEqual(instance, { provider: 'local', instanceId: `local-${spec.taskId}-r2-a1`, address: '127.0.0.1' });
    const dir = join(home, 'instances', instance.instanceId);
    const record = JSON.parse(readFileSync(join(dir, 'instance.json'), 'utf8'));
    assert.equal(record.instanceId, instance.instanceId);
    assert.equal(record.terminated, false);
    assert.ok(statSync(join(home, 'volumes', name)).isDirectory());

    writeFileSync(join(dir, 'keep-me'), 'x');
    const again = await new LocalProvider({ home, gpus: [] }).provision(spec, CPU_OFFER);
    assert.deepEqual(again, instance);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'instance.json'), 'utf8')), record, 'instance.json is not rewritten');
    assert.ok(existsSync(join(dir, 'keep-me')), 'nothing is reset');
  });

  test('isReady is true once the instance dir exists', async () => {
    const p = provider(tempHome());
    const spec = makeSpec();
    assert.equal(await p.isReady({ provider: 'local', instanceId: `local-${spec.taskId}-r0-a0`, address: '127.0.0.1' }), false);
    const instance = await p.provision(spec, CPU_OFFER);
    assert.equal(await p.isReady(instance), true);
  });
});

describe('startCommand and exit codes', () => {
  test('a string command runs via bash when there is one (bash syntax works), else /bin/sh', async () => {
    const { state, out } = await run(provider(tempHome()), { command: 'V=abcdefgh; echo "${V:0:5}"; [[ -n "$BASH_VERSION" ]] && echo bash' });
    assert.equal(state.exitCode, 0, out);
    assert.equal(out, 'abcde\nbash\n');
    assert.equal(commandShell({ PATH: '/usr/bin:/bin' }), findOnPath('bash', { PATH: '/usr/bin:/bin' }));
    // Where no bash is found, the command still runs, under /bin/sh.
    const noBash = tempDir('flow-nobash-');
    assert.equal(commandShell({ PATH: noBash }), '/bin/sh');
  });

  test('a string command runs via the shell; stdout and stderr interleave in output.log; exit 7 → exitCode 7', async () => {
    const home = tempHome();
    const { instance, state, out } = await run(provider(home), { command: 'echo out1; echo err1 >&2; echo out2; echo err2 >&2; exit 7' });
    assert.deepEqual(state, { state: 'exited', exitCode: 7, stopped: false });
    assert.equal(out, 'out1\nerr1\nout2\nerr2\n');
    assert.equal(readFileSync(join(home, 'instances', instance.instanceId, 'exit_code'), 'utf8').trim(), '7');
  });

  test('an argv command runs exactly, with no shell interpretation of its words', async () => {
    const words = ['a b', "it's", '$HOME', '*', '"q"', 'back\\slash', '`id`', ''];
    const { state, out } = await run(provider(tempHome()), { command: ['/bin/sh', '-c', 'printf "<%s>" "$@"', 'argv0', ...words] });
    assert.equal(state.exitCode, 0);
    assert.equal(out, words.map((word) => `<${word}>`).join(''));
  });

  test('a command killed by a signal exits 128+signal', async () => {
    const p = provider(tempHome());
    assert.equal((await run(p, { command: 'kill -TERM $$' })).state.exitCode, 143);
    assert.equal((await run(p, { command: 'kill -KILL $$' })).state.exitCode, 137);
  });

  test('launches at most once: concurrent calls, a second provider, and a marker left by a crash', async () => {
    const home = tempHome();
    const p = provider(home);
    const spec = makeSpec({ command: 'echo ran' });
    const instance = await p.provision(spec, CPU_OFFER);
    started.push({ provider: p, instance });
    await Promise.all([p.startCommand(instance, spec), p.startCommand(instance, spec), provider(home).startCommand(instance, spec)]);
    await waitExited(p, instance);
    await p.startCommand(instance, spec);
    assert.equal(await output(p, instance), 'ran\n');
    assert.deepEqual(await p.commandState(instance), { state: 'exited', exitCode: 0, stopped: false });

    // A worker that crashed right after creating the marker: nobody launches again.
    const crashed = makeSpec({ command: 'echo should-not-run' });
    const crashedInstance = await p.provision(crashed, CPU_OFFER);
    const dir = join(home, 'instances', crashedInstance.instanceId);
    writeFileSync(join(dir, 'launched'), '');
    await provider(home).startCommand(crashedInstance, crashed);
    assert.equal(existsSync(join(dir, 'pid')), false);
    assert.equal(existsSync(join(dir, 'supervisor.sh')), false);
    assert.equal(existsSync(join(dir, 'output.log')), false);
  });

  test('env is a minimal base plus env and secrets; secrets are written to no file of ours', async () => {
    const home = tempHome();
    process.env.FLOW_TEST_SHOULD_NOT_LEAK = 'leak';
    try {
      const secret = `s3cr3t-${randomBytes(6).toString('hex')}`;
      const { instance, state, out } = await run(provider(home), {
        command: 'echo "FOO=$FOO"; echo "TOKEN=$API_TOKEN"; echo "PATH=$PATH"; echo "LEAK=${FLOW_TEST_SHOULD_NOT_LEAK-unset}"; echo "CUDA=${CUDA_VISIBLE_DEVICES-unset}"',
        env: { FOO: 'bar baz' },
        secrets: { API_TOKEN: secret },
      });
      assert.equal(state.exitCode, 0);
      assert.equal(out, `FOO=bar baz\nTOKEN=${secret}\nPATH=${process.env.PATH}\nLEAK=unset\nCUDA=unset\n`);
      const dir = join(home, 'instances', instance.instanceId);
      for (const file of readdirSync(dir)) {
        if (file === 'output.log' || !statSync(join(dir, file)).isFile()) continue;
        assert.ok(!readFileSync(join(dir, file), 'utf8').includes(secret), `${file} must not contain the secret`);
      }
    } finally {
      delete process.env.FLOW_TEST_SHOULD_NOT_LEAK;
    }
  });

  test('PYTHONUNBUFFERED=1 by default, so Python output arrives as it is printed; the task\'s own value wins', async () => {
    const p = provider(tempHome());
    const command = 'echo "PYTHONUNBUFFERED=${PYTHONUNBUFFERED-unset}"';
    assert.equal((await run(p, { command })).out, 'PYTHONUNBUFFERED=1\n');
    assert.equal((await run(p, { command, env: { PYTHONUNBUFFERED: '' } })).out, 'PYTHONUNBUFFERED=\n');
    assert.equal((await run(p, { command, env: { PYTHONUNBUFFERED: '0' } })).out, 'PYTHONUNBUFFERED=0\n');
  });

  test('working dir: workingDir, else codeDir, else <instance>/work; a missing one is a ValidationError naming workingDir', async () => {
    const home = tempHome();
    const p = provider(home);
    const explicit = realpathSync(tempDir('flow-wd-'));
    const code = realpathSync(tempDir('flow-code-'));
    assert.equal((await run(p, { command: 'pwd', workingDir: explicit, codeDir: code })).out, `${explicit}\n`);
    assert.equal((await run(p, { command: 'pwd', codeDir: code })).out, `${code}\n`);
    const plain = await run(p, { command: 'pwd' });
    assert.equal(plain.out, `${join(home, 'instances', plain.instance.instanceId, 'work')}\n`);

    const missing = makeSpec({ command: 'pwd', workingDir: join(explicit, 'does-not-exist') });
    const instance = await p.provision(missing, CPU_OFFER);
    await assert.rejects(p.startCommand(instance, missing), (error: unknown) => error instanceof ValidationError && error.field === 'workingDir');
    assert.deepEqual(await p.commandState(instance), { state: 'not_started' }, 'a failed validation does not use up the launch');
  });

  test('CUDA_VISIBLE_DEVICES is the first k GPU indices; unset for cpu', async () => {
    const p = provider(tempHome(), { gpus: fakeGpus(4, 'NVIDIA A100-SXM4-80GB', 80, 'a100') });
    const command = 'echo "${CUDA_VISIBLE_DEVICES-unset}"';
    assert.equal((await run(p, { command, instanceType: '2xa100' })).out, '0,1\n');
    assert.equal((await run(p, { command, instanceType: '4xa100' })).out, '0,1,2,3\n');
    assert.equal((await run(p, { command, instanceType: 'cpu' })).out, 'unset\n');
    const tooBig = makeSpec({ command, instanceType: '8xa100' });
    const instance = await p.provision(tooBig, CPU_OFFER);
    await assert.rejects(p.startCommand(instance, tooBig), ValidationError);
  });
});

describe('volumes', () => {
  /** Fills a volume folder before the task runs, so the test can tell the command saw it. */
  function seedVolume(home: string, name: string, text: string): void {
    mkdirSync(join(home, 'volumes', name), { recursive: true });
    writeFileSync(join(home, 'volumes', name, 'in.txt'), `${text}\n`);
  }

  test('symlink fallback: a file written by one task into /volumes/<name> is read by a second task', async (t) => {
    if (!requireOrSkip(t, canWriteRoot(), 'cannot create folders at / here')) return;
    const home = tempHome();
    const p = provider(home, { bubblewrap: 'off' });
    assert.match(p.capabilities.volumeIsolation ?? '', /^symlink fallback: /);
    const name = uniqueVolumeName();
    const mountPath = `/volumes/${name}`;
    mountPathsToRemove.push(mountPath);
    const volumes = [{ name, sizeGb: 1 }];
    const envName = `FLOW_VOLUME_${name.toUpperCase().replace(/-/g, '_')}`;

    const writer = await run(p, { command: `echo hello-from-a > ${mountPath}/note.txt`, volumes });
    assert.equal(writer.state.exitCode, 0, writer.out);
    const reader = await run(p, { command: `cat ${mountPath}/note.txt; echo "$${envName}"`, volumes });
    assert.equal(reader.out, `hello-from-a\n${join(home, 'volumes', name)}\n`);
    assert.equal(readlinkSync(mountPath), join(home, 'volumes', name));
    assert.equal(readFileSync(join(home, 'volumes', name, 'note.txt'), 'utf8'), 'hello-from-a\n');
  });

  test('symlink fallback: terminate removes the links and the folders made for them; the command saw the volumes', async (t) => {
    if (!requireOrSkip(t, canWriteRoot(), 'cannot create folders at / here')) return;
    const home = tempHome();
    const p = provider(home, { bubblewrap: 'off' });
    const top = uniqueTopLevel();
    const [deep, plain] = [uniqueVolumeName(), uniqueVolumeName()];
    seedVolume(home, deep, 'in-deep');
    seedVolume(home, plain, 'in-plain');
    const volumesRootExisted = existsSync('/volumes');
    mountPathsToRemove.push(`/volumes/${plain}`);
    const volumes = [
      { name: deep, sizeGb: 1, mountPath: `${top}/nested/data` },
      { name: plain, sizeGb: 1 },
    ];
    const { instance, state, out } = await run(p, { command: `cat ${top}/nested/data/in.txt /volumes/${plain}/in.txt`, volumes });
    assert.equal(state.exitCode, 0, out);
    assert.equal(out, 'in-deep\nin-plain\n');
    assert.equal(readlinkSync(`${top}/nested/data`), join(home, 'volumes', deep), 'the link lives as long as the instance');

    await p.terminate(instance);
    assert.equal(existsSync(top), false, `${top} is left on the host`);
    assert.equal(existsSync(`/volumes/${plain}`), false, `/volumes/${plain} is left on the host`);
    assert.equal(existsSync('/volumes'), volumesRootExisted, '/volumes is as it was');
    assert.equal(readFileSync(join(home, 'volumes', deep, 'in.txt'), 'utf8'), 'in-deep\n', 'the volume itself is kept');
    await p.terminate(instance); // idempotent
  });

  test('symlink fallback: a link two tasks share stays until the last one ends; a link changed meanwhile is left alone', async (t) => {
    if (!requireOrSkip(t, canWriteRoot(), 'cannot create folders at / here')) return;
    const home = tempHome();
    const p = provider(home, { bubblewrap: 'off' });
    const top = uniqueTopLevel();
    const name = uniqueVolumeName();
    seedVolume(home, name, 'shared');
    const volumes = [{ name, sizeGb: 1, mountPath: `${top}/data` }];
    const release = join(tempDir('flow-release-'), 'go');
    const hold = `${untilFileExists(release)}; cat ${top}/data/in.txt`;
    const first = await start(p, makeSpec({ command: hold, volumes }));
    const second = await start(p, makeSpec({ command: hold, volumes }));
    await runningPid(p, first);
    await runningPid(p, second);

    await p.terminate(first);
    assert.equal(readlinkSync(`${top}/data`), join(home, 'volumes', name), 'the second task still uses the link');
    writeFileSync(release, '');
    assert.equal((await waitExited(p, second)).exitCode, 0);
    assert.equal(await output(p, second), 'shared\n');
    await p.terminate(second);
    assert.equal(existsSync(top), false, `${top} is left on the host`);

    // Someone pointed the link elsewhere while the task ran: not Flow's to remove.
    const third = await start(p, makeSpec({ command: 'true', volumes }));
    await waitExited(p, third);
    const elsewhere = tempDir('flow-elsewhere-');
    unlinkSync(`${top}/data`);
    symlinkSync(elsewhere, `${top}/data`);
    await p.terminate(third);
    assert.equal(readlinkSync(`${top}/data`), elsewhere);
  });

  test('symlink fallback refuses a mount path that exists and is something else, suggesting bubblewrap', async () => {
    const p = provider(tempHome(), { bubblewrap: 'off' });
    const occupied = tempDir('flow-occupied-');
    writeFileSync(join(occupied, 'precious'), 'data');
    const spec = makeSpec({ command: 'true', volumes: [{ name: uniqueVolumeName(), sizeGb: 1, mountPath: occupied }] });
    const instance = await p.provision(spec, CPU_OFFER);
    await assert.rejects(
      p.startCommand(instance, spec),
      (error: unknown) => error instanceof ProviderError && error.message.includes(occupied) && error.suggestions.some((s) => /bubblewrap/.test(s)),
    );
    assert.equal(readFileSync(join(occupied, 'precious'), 'utf8'), 'data');
    assert.deepEqual(await p.commandState(instance), { state: 'not_started' });
  });

  test('bubblewrap: volumes are mounted for the command; nothing is left on the host, and files written next to a mount point reach it', async (t) => {
    if (!requireOrSkip(t, probeBubblewrap().available, 'bubblewrap is not usable here')) return;
    const home = tempHome();
    const p = new LocalProvider({ home, gpus: [], bubblewrap: 'auto' });
    assert.equal(p.capabilities.volumeIsolation, 'bubblewrap');
    const top = uniqueTopLevel(); // its parent is / itself
    const existing = tempDir('flow-existing-'); // an existing host folder, the mount path two levels below it
    writeFileSync(join(existing, 'sibling.txt'), 'sibling\n');
    mkdirSync(join(existing, 'kept'));
    const mntPath = `/mnt/flowtest-${randomBytes(4).toString('hex')}/data`;
    const names = [uniqueVolumeName(), uniqueVolumeName(), uniqueVolumeName(), uniqueVolumeName()];
    topLevelsToRemove.push(dirname(mntPath), `/volumes/${names[2]}`); // only should a run of old code leave them
    names.forEach((name, i) => seedVolume(home, name, `in-${i}`));
    mkdirSync(join(home, 'volumes', names[0]!, 'work'));
    const mountPaths = [`${top}/data`, join(existing, 'nested', 'ckpt'), `/volumes/${names[2]}`, mntPath];
    const volumes = names.map((name, i) => (i === 2 ? { name, sizeGb: 1 } : { name, sizeGb: 1, mountPath: mountPaths[i] }));
    const hostState = () => [existsSync(top), existsSync(join(existing, 'nested')), existsSync(mountPaths[2]!), existsSync(dirname(mntPath))];

    const command = [
      ...mountPaths.map((path, i) => `cat ${path}/in.txt && echo out-${i} > ${path}/out.txt`),
      `cat ${existing}/sibling.txt`,
      `echo kept > ${existing}/kept/file.txt`,
      `echo beside > ${existing}/beside.txt`,
      'pwd',
      'exit 7',
    ].join('; ');
    const { instance, state, out } = await run(p, { command, volumes, workingDir: `${top}/data/work` });
    assert.equal(out, `in-0\nin-1\nin-2\nin-3\nsibling\n${top}/data/work\n`);
    assert.equal(state.exitCode, 7, 'exit codes pass through bwrap');
    names.forEach((name, i) => assert.equal(readFileSync(join(home, 'volumes', name, 'out.txt'), 'utf8'), `out-${i}\n`));
    assert.equal(readFileSync(join(existing, 'kept', 'file.txt'), 'utf8'), 'kept\n', 'what is already there stays the host\'s own');
    assert.equal(readFileSync(join(existing, 'beside.txt'), 'utf8'), 'beside\n', 'a file written next to a mount point reaches the host');
    assert.equal(existsSync(top), false, 'a mount point under / itself is made in the sandbox only');
    await p.terminate(instance);
    assert.deepEqual(hostState(), [false, false, false, false], 'no mount point is left on the host');
    assert.deepEqual(readdirSync(existing).sort(), ['beside.txt', 'kept', 'sibling.txt']);

    const killed = await run(p, { command: 'kill -TERM $$', volumes });
    assert.equal(killed.state.exitCode, 143, 'signals pass through bwrap as 128+signal');
  });

  test('bubblewrap: below the working directory the mount point is a folder for the run only; files written there are kept', async (t) => {
    if (!requireOrSkip(t, probeBubblewrap().available, 'bubblewrap is not usable here')) return;
    const home = tempHome();
    const p = new LocalProvider({ home, gpus: [], bubblewrap: 'auto' });
    const workDir = tempDir('flow-workdir-');
    const name = uniqueVolumeName();
    seedVolume(home, name, 'in-workdir');
    const volumes = [{ name, sizeGb: 1, mountPath: join(workDir, 'data', 'set') }];
    const release = join(tempDir('flow-release-'), 'go');
    const command = `cat data/set/in.txt; echo result > result.txt; ${untilFileExists(release)}`;
    const instance = await start(p, makeSpec({ command, volumes, workingDir: workDir }));
    await waitOutput(p, instance, 'in-workdir\n');
    assert.ok(statSync(join(workDir, 'data', 'set')).isDirectory(), 'the mount point exists while the command runs');
    writeFileSync(release, '');
    assert.equal((await waitExited(p, instance)).exitCode, 0);
    await p.terminate(instance);
    assert.deepEqual(readdirSync(workDir), ['result.txt'], 'the mount point and its parent are gone; the command\'s file is kept');
    assert.equal(readFileSync(join(workDir, 'result.txt'), 'utf8'), 'result\n');
  });
});

describe('commandState and readOutput', () => {
  test('not_started, then running with the supervisor pid, then exited', async () => {
    const home = tempHome();
    const p = provider(home);
    const spec = makeSpec({ command: 'while [ ! -e go ]; do sleep 0.02; done; exit 3' });
    const instance = await p.provision(spec, CPU_OFFER);
    started.push({ provider: p, instance });
    assert.deepEqual(await p.commandState(instance), { state: 'not_started' });
    await p.startCommand(instance, spec);
    const pid = await runningPid(p, instance);
    assert.equal(Number(readFileSync(join(home, 'instances', instance.instanceId, 'pid'), 'utf8')), pid);
    assert.ok(existsSync(join(home, 'instances', instance.instanceId, 'started_at')));
    writeFileSync(join(home, 'instances', instance.instanceId, 'work', 'go'), '');
    assert.deepEqual(await waitExited(p, instance), { state: 'exited', exitCode: 3, stopped: false });
  });

  test('a launch in progress (marker, no pid yet) is running; one stuck past the launch timeout is lost', async () => {
    const home = tempHome();
    const p = provider(home);
    const instance = await p.provision(makeSpec(), CPU_OFFER);
    const marker = join(home, 'instances', instance.instanceId, 'launched');
    writeFileSync(marker, '');
    assert.deepEqual(await p.commandState(instance), { state: 'running' });
    const longAgo = new Date(Date.now() - 10 * 60_000);
    utimesSync(marker, longAgo, longAgo);
    assert.deepEqual(await p.commandState(instance), { state: 'exited', exitCode: null, signal: 'lost', stopped: false });
  });

  test('a supervisor killed without writing exit_code is reported lost', async () => {
    const p = provider(tempHome());
    const instance = await start(p, makeSpec({ command: 'sleep 300' }));
    const pid = await runningPid(p, instance);
    process.kill(pid, 'SIGKILL');
    const state = await waitExited(p, instance);
    assert.deepEqual(state, { state: 'exited', exitCode: null, signal: 'lost', stopped: false });
    await p.stopCommand(instance, 1000); // the orphaned sleep
    assertGroupGone(pid);
  });

  test('readOutput reads from an offset; empty when the file is missing or offset is past the end', async () => {
    const p = provider(tempHome());
    const notStarted = await p.provision(makeSpec(), CPU_OFFER);
    assert.equal((await p.readOutput(notStarted, 0, 100)).length, 0);
    const { instance } = await run(p, { command: "printf 'hello world'" });
    assert.equal((await p.readOutput(instance, 0, 5)).toString(), 'hello');
    assert.equal((await p.readOutput(instance, 6, 100)).toString(), 'world');
    assert.equal((await p.readOutput(instance, 11, 10)).length, 0);
    assert.equal((await p.readOutput(instance, 500, 10)).length, 0);
    assert.ok(Buffer.isBuffer(await p.readOutput(instance, 500, 10)));
  });
});

describe('stopCommand and terminate', () => {
  test('a command that ended on its own is not marked stopped by a later stop; its background children still end', async () => {
    const home = tempHome();
    const p = provider(home);
    const instance = await start(p, makeSpec({ command: 'sleep 300 & echo done' }));
    assert.deepEqual(await waitExited(p, instance), { state: 'exited', exitCode: 0, stopped: false });
    const pgid = Number(readFileSync(join(home, 'instances', instance.instanceId, 'pid'), 'utf8'));
    await waitFor(() => liveMembers(pgid).length > 0 || undefined, { message: 'the background sleep outlives the command' });
    await p.stopCommand(instance, 5000);
    assertGroupGone(pgid);
    assert.deepEqual(await p.commandState(instance), { state: 'exited', exitCode: 0, stopped: false });
  });

  test('stopCommand ends the whole process group, background children included', async () => {
    const p = provider(tempHome());
    const instance = await start(p, makeSpec({ command: 'sleep 300 & echo started; sleep 300' }));
    await waitOutput(p, instance, 'started');
    const pgid = await runningPid(p, instance);
    await waitFor(() => liveMembers(pgid).length >= 3 || undefined, { message: 'supervisor, shell and two sleeps' });
    const before = Date.now();
    await p.stopCommand(instance, 5000);
    assert.ok(Date.now() - before < 5000, 'SIGTERM was enough; no wait for the grace period');
    assertGroupGone(pgid);
    assert.deepEqual(await p.commandState(instance), { state: 'exited', exitCode: 143, stopped: true });
    await p.stopCommand(instance, 5000); // idempotent
    assert.deepEqual(await p.commandState(instance), { state: 'exited', exitCode: 143, stopped: true });
  });

  test('stopCommand also ends processes of the session that moved to their own group (e.g. timeout)', async () => {
    const p = provider(tempHome());
    const instance = await start(p, makeSpec({ command: 'timeout 300 sleep 300 & echo started; wait' }));
    await waitOutput(p, instance, 'started');
    const leader = await runningPid(p, instance);
    await waitFor(() => procMembers(leader).some((member) => member.pgid !== leader && member.state !== 'Z') || undefined, {
      message: 'timeout in its own process group',
    });
    await p.stopCommand(instance, 5000);
    assert.deepEqual(liveMembers(leader), []);
  });

  test('a command that ignores SIGTERM is SIGKILLed after graceMs → exitCode 137', async () => {
    const p = provider(tempHome());
    const instance = await start(p, makeSpec({ command: 'trap "" TERM; sleep 300 & echo started; sleep 300' }));
    await waitOutput(p, instance, 'started');
    const pgid = await runningPid(p, instance);
    const before = Date.now();
    await p.stopCommand(instance, 300);
    assert.ok(Date.now() - before >= 300, 'waited out the grace period first');
    assertGroupGone(pgid);
    assert.deepEqual(await p.commandState(instance), { state: 'exited', exitCode: 137, stopped: true });
  });

  test('a command that handles SIGTERM keeps its own exit code', async () => {
    const p = provider(tempHome());
    const instance = await start(p, makeSpec({ command: 'trap "echo got-term; exit 3" TERM; echo started; while :; do sleep 0.05; done' }));
    await waitOutput(p, instance, 'started');
    await p.stopCommand(instance, 5000);
    assert.deepEqual(await p.commandState(instance), { state: 'exited', exitCode: 3, stopped: true });
    assert.match(await output(p, instance), /got-term/);
  });

  test('stopCommand with nothing running is a no-op; a later startCommand runs nothing', async () => {
    const home = tempHome();
    const p = provider(home);
    await p.stopCommand({ provider: 'local', instanceId: 'local-never-provisioned-r0-a0', address: '127.0.0.1' }, 100);
    const spec = makeSpec({ command: 'echo should-not-run' });
    const instance = await p.provision(spec, CPU_OFFER);
    await p.stopCommand(instance, 100);
    assert.deepEqual(await p.commandState(instance), { state: 'not_started' });
    await p.startCommand(instance, spec);
    assert.deepEqual(await p.commandState(instance), { state: 'exited', exitCode: 143, stopped: true });
    assert.equal(await output(p, instance), '');
  });

  test('terminate stops the command, marks instance.json terminated, removes the raw output, and is idempotent', async () => {
    const home = tempHome();
    const p = provider(home);
    const instance = await start(p, makeSpec({ command: 'echo started; sleep 300' }));
    await waitOutput(p, instance, 'started');
    const pgid = await runningPid(p, instance);
    await p.terminate(instance);
    assertGroupGone(pgid);
    const dir = join(home, 'instances', instance.instanceId);
    const record = JSON.parse(readFileSync(join(dir, 'instance.json'), 'utf8'));
    assert.equal(record.terminated, true);
    assert.equal(typeof record.terminatedAt, 'string');
    // The output was copied to the LogStore before terminate (teardownInstance): it may hold secrets.
    // The cgroup's path stays too (where tasks get one): a retried teardown finds it there.
    const cgroupFiles = p.containment().kind === 'cgroup' ? ['cgroup', 'cgroup_entered'] : [];
    const bookkeeping = [...cgroupFiles, 'exit_code', 'instance.json', 'launched', 'pid', 'started_at', 'stop_requested'];
    assert.deepEqual(readdirSync(dir).sort(), bookkeeping, 'only bookkeeping is left');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'instance.json')).mode & 0o777, 0o600);
    assert.deepEqual(await p.commandState(instance), { state: 'exited', exitCode: 143, stopped: true }, 'a retried teardown still learns how it ended');
    await p.terminate(instance);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'instance.json'), 'utf8')), record);
    await p.terminate({ provider: 'local', instanceId: 'local-gone-r0-a0', address: '127.0.0.1' });
  });
});

describe('restart durability', () => {
  const providerModule = join(__dirname, '..', '..', 'src', 'providers', 'local', 'index.js');

  test('the command outlives the worker process that started it; a new provider finds it running and does not relaunch', async () => {
    const home = tempHome();
    const spec = makeSpec({ command: 'echo started; while [ ! -e go ]; do sleep 0.02; done; echo done; exit 5' });
    const worker = `
      const { LocalProvider, localOffers } = require(${JSON.stringify(providerModule)});
      (async () => {
        const p = new LocalProvider({ home: ${JSON.stringify(home)}, gpus: [], bubblewrap: 'off' });
        const spec = ${JSON.stringify(spec)};
        const instance = await p.provision(spec, localOffers([])[0]);
        await p.startCommand(instance, spec);
        process.stdout.write(JSON.stringify(instance));
      })().catch((error) => { console.error(error); process.exit(1); });
    `;
    const result = spawnSync(process.execPath, ['-e', worker], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(result.status, 0, result.stderr);
    const instance = JSON.parse(result.stdout) as InstanceRef;

    const p = provider(home);
    started.push({ provider: p, instance });
    const state = await p.commandState(instance);
    assert.equal(state.state, 'running', 'still running after its worker exited');
    await p.startCommand(instance, spec);
    await waitOutput(p, instance, 'started');
    writeFileSync(join(home, 'instances', instance.instanceId, 'work', 'go'), '');
    assert.deepEqual(await waitExited(p, instance), { state: 'exited', exitCode: 5, stopped: false });
    assert.equal(await output(p, instance), 'started\ndone\n', 'launched exactly once');
  });

  test('a new provider reads the exit code of a command that ended while no provider existed', async () => {
    const home = tempHome();
    const spec = makeSpec({ command: 'echo started; while [ ! -e go ]; do sleep 0.02; done; exit 5' });
    let first: LocalProvider | undefined = provider(home);
    const instance = await start(first, spec);
    await waitOutput(first, instance, 'started');
    first = undefined;

    const dir = join(home, 'instances', instance.instanceId);
    writeFileSync(join(dir, 'work', 'go'), '');
    // Written in place: the code counts once its line is whole (see readIntFile).
    await waitFor(() => existsSync(join(dir, 'exit_code')) && readFileSync(join(dir, 'exit_code'), 'utf8').endsWith('\n'), { message: 'exit_code on disk' });

    const second = provider(home);
    assert.deepEqual(await second.commandState(instance), { state: 'exited', exitCode: 5, stopped: false });
    await second.startCommand(instance, spec);
    assert.deepEqual(await second.commandState(instance), { state: 'exited', exitCode: 5, stopped: false });
    assert.equal(await output(second, instance), 'started\n', 'not relaunched');
  });
});
