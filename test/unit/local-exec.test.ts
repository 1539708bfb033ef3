import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ProviderError, ValidationError } from '../../src/domain/errors';
import type { InstanceRef, NodeSpec } from '../../src/domain';
import { LocalProvider, localOffers } from '../../src/providers/local';
import type { Provider } from '../../src/providers/provider';
import { untilFileExists } from '../helpers/release-file';
import { waitFor } from '../helpers/wait-for';

const dirs: string[] = [];
const started: Array<{ provider: LocalProvider; instance: InstanceRef }> = [];
after(async () => {
  for (const { provider, instance } of started) await provider.terminate(instance).catch(() => undefined);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  dirs.push(dir);
  return dir;
}

let counter = 0;
/** Starts a command that holds until its release file exists, and waits for it to run. */
async function startHeld(p: LocalProvider, home: string, overrides: Partial<NodeSpec> = {}): Promise<{ instance: InstanceRef; release: string }> {
  counter += 1;
  const release = join(home, `release-${counter}`);
  const spec: NodeSpec = {
    taskId: `x${process.pid}e${counter}`,
    rank: 0,
    attempt: 0,
    command: `${untilFileExists(release)}`,
    env: {},
    secrets: {},
    volumes: [],
    instanceType: 'cpu',
    ...overrides,
  };
  const instance = await p.provision(spec, localOffers([])[0]!);
  started.push({ provider: p, instance });
  await p.startCommand(instance, spec);
  await waitFor(async () => {
    const state = await p.commandState(instance);
    return state.state === 'running' && state.pid !== undefined;
  }, { message: 'command running' });
  return { instance, release };
}

describe('local provider: exec, files, shell and port targets', () => {
  const home = tempDir('flow-exec-');
  const workDir = tempDir('flow-exec-work-');
  const p = new LocalProvider({ home, gpus: [], bubblewrap: 'off' });
  let instance: InstanceRef;

  test('capabilities say exec, files, shell, ports and volumes work', () => {
    const caps: Provider['capabilities'] = p.capabilities;
    assert.deepEqual([caps.exec, caps.files, caps.shell, caps.ports, caps.volumes], [true, true, true, true, true]);
  });

  test('exec runs in the working dir with the task env and its secrets; exit code comes back', async () => {
    ({ instance } = await startHeld(p, home, { workingDir: workDir, env: { FOO: 'bar' }, secrets: { API_TOKEN: 's3cret-value' } }));
    const pwd = await p.exec(instance, ['pwd']);
    assert.deepEqual([pwd.exitCode, pwd.stdout.trim(), pwd.truncated, pwd.timedOut], [0, workDir, false, false]);
    const env = await p.exec(instance, 'echo "$FOO $API_TOKEN"; echo oops >&2; exit 7');
    assert.deepEqual([env.exitCode, env.stdout, env.stderr], [7, 'bar s3cret-value\n', 'oops\n']);
    const extra = await p.exec(instance, 'echo "$FOO"', { env: { FOO: 'override' }, cwd: '/', input: 'ignored' });
    assert.equal(extra.stdout, 'override\n');
    const stdin = await p.exec(instance, ['cat'], { input: 'from stdin' });
    assert.equal(stdin.stdout, 'from stdin');
    const sub = await p.exec(instance, 'pwd', { cwd: '/tmp' });
    assert.equal(sub.stdout.trim(), '/tmp');
  });

  test('exec output is bounded, and a timeout kills it with 124', async () => {
    const big = await p.exec(instance, 'head -c 5000 /dev/zero', { maxOutputBytes: 1000 });
    assert.equal(big.stdout.length, 1000);
    assert.equal(big.truncated, true);
    const began = Date.now();
    const slow = await p.exec(instance, 'echo before; sleep 30; echo after', { timeoutMs: 300 });
    assert.deepEqual([slow.exitCode, slow.timedOut], [124, true]);
    // What it printed before the kill is kept; on a loaded machine the kill may come before the echo.
    assert.ok(['', 'before\n'].includes(slow.stdout), `output before the kill: ${JSON.stringify(slow.stdout)}`);
    assert.ok(Date.now() - began < 10_000, 'the timeout ended it early');
  });

  test('putFile and getFile copy to and from the node, relative to its working dir', async () => {
    const local = join(tempDir('flow-exec-local-'), 'in.txt');
    writeFileSync(local, 'hello node');
    await p.putFile(instance, local, 'sub/in.txt');
    assert.equal(readFileSync(join(workDir, 'sub', 'in.txt'), 'utf8'), 'hello node');
    const back = join(tempDir('flow-exec-back-'), 'out.txt');
    await p.getFile(instance, join(workDir, 'sub', 'in.txt'), back);
    assert.equal(readFileSync(back, 'utf8'), 'hello node');
  });

  test('shellTarget: a local shell in the working dir with the task env; portTarget: 127.0.0.1', async () => {
    const target = await p.shellTarget(instance, { shell: '/bin/sh' });
    assert.equal(target.kind, 'local');
    if (target.kind !== 'local') return;
    assert.deepEqual([target.argv, target.cwd, target.env.FOO, target.env.API_TOKEN], [['/bin/sh'], workDir, 'bar', 's3cret-value']);
    const withCommand = await p.shellTarget(instance, { command: ['id', '-u'] });
    assert.deepEqual(withCommand.kind === 'local' && withCommand.argv, ['id', '-u']);
    assert.deepEqual(await p.portTarget(instance, 8080), { host: '127.0.0.1', port: 8080 });
    await assert.rejects(p.portTarget(instance, 70000), (error: unknown) => error instanceof ValidationError && error.field === 'port');
  });

  test('on a node whose command ended: a ProviderError saying it is not running', async () => {
    const { instance: ended, release } = await startHeld(p, home);
    writeFileSync(release, '');
    await waitFor(async () => (await p.commandState(ended)).state === 'exited', { message: 'exit' });
    await assert.rejects(p.exec(ended, 'true'), (error: unknown) => error instanceof ProviderError && /is not running/.test(error.message));
    await assert.rejects(p.shellTarget(ended), /is not running/);
  });
});

for (const mode of ['auto', 'off'] as const) describe(`local provider (bubblewrap ${mode}): volumes through the interface, and exec sees them`, () => {
  const home = tempDir('flow-exec-vol-');
  // auto: bubblewrap where it works (exec then runs in the same sandbox), else symlinks; off: symlinks.
  const p = new LocalProvider({ home, gpus: [], bubblewrap: mode });
  const name = `xv${process.pid}-${mode}`;

  test('createVolume, listVolumes, exec sees the task\'s file at its mount path, deleteVolume', async () => {
    const created = await p.createVolume({ name, sizeGb: 1 });
    assert.equal(created.name, name);
    assert.deepEqual((await p.listVolumes()).map((volume) => volume.name), [name]);
    const { instance, release } = await startHeld(p, home, { volumes: [{ name, sizeGb: 1, mountPath: `/volumes/${name}` }] });
    const wrote = await p.exec(instance, `echo from-task > /volumes/${name}/seen.txt && ls /volumes/${name}`);
    assert.deepEqual([wrote.exitCode, wrote.stdout], [0, 'seen.txt\n'], wrote.stderr);
    const back = join(tempDir('flow-exec-vback-'), 'seen.txt');
    await p.getFile(instance, `/volumes/${name}/seen.txt`, back);
    assert.equal(readFileSync(back, 'utf8'), 'from-task\n');
    await assert.rejects(p.deleteVolume(name), (error: unknown) => error instanceof ValidationError && /in use/.test(error.message));
    writeFileSync(release, '');
    await p.terminate(instance);
    await p.deleteVolume(name);
    assert.deepEqual(await p.listVolumes(), []);
  });
});
