import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Volumes } from '../../src/client/volumes';
import { flowPaths } from '../../src/config/flow-home';
import { AuthenticationError, ResourceNotFoundError, ValidationError } from '../../src/domain';
import type { InstanceRef, NodeSpec } from '../../src/domain';
import { LocalProvider, localOffers } from '../../src/providers/local';
import { createVolume, deleteVolume, folderUsage, getVolume, listVolumes } from '../../src/providers/local/local-volumes';
import { tempFlowHome } from '../helpers/flow-home';
import { inProcessProviderOps } from '../helpers/in-process-provider-ops';
import { waitFor } from '../helpers/wait-for';

const cleanups: Array<() => void> = [];
after(() => {
  for (const cleanup of cleanups) cleanup();
});

function freshHome(): string {
  const { home, cleanup } = tempFlowHome('flow-volumes-');
  cleanups.push(cleanup);
  return home;
}

async function rejectsWith<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${type.name}, but it resolved`);
}

describe('local volumes: create, list, delete', () => {
  test('a fresh home has no volumes', async () => {
    assert.deepEqual(await listVolumes(freshHome()), []);
  });

  test('create makes the folder and records the size; list reports size, usage and no attachment', async () => {
    const home = freshHome();
    const created = await createVolume(home, { name: 'datasets', sizeGb: 10 });
    assert.equal(created.name, 'datasets');
    assert.equal(created.sizeGb, 10);
    assert.equal(created.path, join(flowPaths(home).volumes, 'datasets'));
    assert.equal(created.usedBytes, 0);
    assert.ok(existsSync(created.path));
    const meta = JSON.parse(readFileSync(join(flowPaths(home).volumes, '.meta', 'datasets.json'), 'utf8'));
    assert.equal(meta.sizeGb, 10);

    mkdirSync(join(created.path, 'sub', 'deeper'), { recursive: true });
    writeFileSync(join(created.path, 'a.bin'), Buffer.alloc(1000));
    writeFileSync(join(created.path, 'sub', 'deeper', 'b.bin'), Buffer.alloc(234));
    await createVolume(home, { name: 'checkpoints' });

    const listed = await listVolumes(home);
    assert.deepEqual(
      listed.map((v) => [v.name, v.sizeGb, v.usedBytes, v.usedBytesPartial, v.attachedTo]),
      [
        ['checkpoints', 1, 0, false, []],
        ['datasets', 10, 1234, false, []],
      ],
    );
    const datasets = listed.find((v) => v.name === 'datasets')!;
    assert.equal(datasets.createdAt, created.createdAt);
    assert.ok(!Number.isNaN(Date.parse(datasets.createdAt)));
  });

  test('a volume folder without a meta file (made before sizes were recorded) lists with 1 GB', async () => {
    const home = freshHome();
    mkdirSync(join(flowPaths(home).volumes, 'from-a-task'), { recursive: true });
    const [volume] = await listVolumes(home);
    assert.equal(volume?.name, 'from-a-task');
    assert.equal(volume?.sizeGb, 1);
  });

  test('invalid names are refused with a ValidationError naming `name`, and nothing is created', async () => {
    const home = freshHome();
    for (const name of ['ab', 'My_Data', '-data', 'data-', 'a'.repeat(65), '../escape', '', 'with space']) {
      const error = await rejectsWith(createVolume(home, { name, sizeGb: 1 }), ValidationError);
      assert.equal(error.field, 'name', `${name}: ${error.message}`);
      assert.match(error.message, /name/);
      assert.ok(error.suggestions.some((s) => s.includes('lower-case letters, digits and dashes')), error.suggestions.join('; '));
    }
    assert.deepEqual(await listVolumes(home), []);
    assert.equal(existsSync(join(home, 'escape')), false);
  });

  test('a fixable name gets a concrete suggestion', async () => {
    const error = await rejectsWith(createVolume(freshHome(), { name: 'My_Data' }), ValidationError);
    assert.ok(error.suggestions.includes('Try: flow volumes create my-data'), error.suggestions.join('; '));
  });

  test('invalid sizes are refused with a ValidationError naming `sizeGb`', async () => {
    const home = freshHome();
    for (const sizeGb of [0, -1, 1.5, 15001, Number.NaN]) {
      const error = await rejectsWith(createVolume(home, { name: 'sized', sizeGb }), ValidationError);
      assert.equal(error.field, 'sizeGb', `${sizeGb}: ${error.message}`);
      assert.ok(error.suggestions.some((s) => s.includes('1 to 15000')), error.suggestions.join('; '));
    }
    assert.deepEqual(await listVolumes(home), []);
  });

  test('creating a volume that exists is a ValidationError suggesting flow volumes list', async () => {
    const home = freshHome();
    await createVolume(home, { name: 'twice', sizeGb: 3 });
    const error = await rejectsWith(createVolume(home, { name: 'twice', sizeGb: 5 }), ValidationError);
    assert.match(error.message, /already exists/);
    assert.ok(error.suggestions.some((s) => s.includes('flow volumes list')));
    assert.equal((await getVolume(home, 'twice')).sizeGb, 3, 'the first size is kept');
  });

  test('of two concurrent creates of one name, exactly one wins', async () => {
    const home = freshHome();
    const results = await Promise.allSettled([createVolume(home, { name: 'race' }), createVolume(home, { name: 'race' })]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.equal(results.filter((r) => r.status === 'rejected' && r.reason instanceof ValidationError).length, 1);
  });

  test('delete removes the folder, its files and the meta file', async () => {
    const home = freshHome();
    const volume = await createVolume(home, { name: 'scratch', sizeGb: 2 });
    writeFileSync(join(volume.path, 'data.txt'), 'x');
    await deleteVolume(home, 'scratch');
    assert.equal(existsSync(volume.path), false);
    assert.equal(existsSync(join(flowPaths(home).volumes, '.meta', 'scratch.json')), false);
    assert.deepEqual(await listVolumes(home), []);
    // The name is free again, with a fresh size.
    assert.equal((await createVolume(home, { name: 'scratch', sizeGb: 4 })).sizeGb, 4);
  });

  test('deleting a missing volume is ResourceNotFoundError suggesting the closest names', async () => {
    const home = freshHome();
    await createVolume(home, { name: 'datasets' });
    const error = await rejectsWith(deleteVolume(home, 'dataset'), ResourceNotFoundError);
    assert.match(error.message, /Volume 'dataset' was not found/);
    assert.ok(error.suggestions.includes("Did you mean 'datasets'?"), error.suggestions.join('; '));
    assert.ok(existsSync(join(flowPaths(home).volumes, 'datasets')));
  });

  test('delete never reaches outside the volumes folder', async () => {
    const home = freshHome();
    mkdirSync(flowPaths(home).instances, { recursive: true });
    await createVolume(home, { name: 'inside' });
    for (const name of ['../instances', '..', '.', '.meta', 'inside/..', '/tmp']) {
      await rejectsWith(deleteVolume(home, name), ResourceNotFoundError);
    }
    assert.ok(existsSync(flowPaths(home).instances));
    assert.ok(existsSync(join(flowPaths(home).volumes, '.meta', 'inside.json')));
  });

  test('usage stops at the entry limit and says it is partial', async () => {
    const home = freshHome();
    const volume = await createVolume(home, { name: 'many' });
    for (let i = 0; i < 20; i += 1) writeFileSync(join(volume.path, `f${i}`), Buffer.alloc(10));
    assert.deepEqual(await folderUsage(volume.path), { bytes: 200, partial: false });
    const capped = await folderUsage(volume.path, 5);
    assert.equal(capped.partial, true);
    assert.equal(capped.bytes, 50);
  });
});

describe('local volumes used by a running task', () => {
  test('list shows the task; delete refuses naming it (unless forced), and works once it stops', async () => {
    const home = freshHome();
    const provider = new LocalProvider({ home, gpus: [], bubblewrap: 'off' });
    await createVolume(home, { name: 'busy-vol', sizeGb: 5 });
    await createVolume(home, { name: 'other-vol' });
    await createVolume(home, { name: 'idle-vol' });
    const mountRoot = join(home, 'mnt');
    const spec: NodeSpec = {
      taskId: `volumes-${process.pid}`,
      rank: 0,
      attempt: 0,
      command: 'sleep 30',
      env: {},
      secrets: {},
      volumes: [
        { name: 'busy-vol', sizeGb: 5, mountPath: join(mountRoot, 'busy-vol') },
        { name: 'other-vol', sizeGb: 1, mountPath: join(mountRoot, 'other-vol') },
      ],
      instanceType: 'cpu',
    };
    let instance: InstanceRef | undefined;
    try {
      instance = await provider.provision(spec, localOffers([])[0]!);
      await provider.startCommand(instance, spec);
      const started = instance;
      await waitFor(async () => (await provider.commandState(started)).state === 'running', { message: 'sleep 30 to run' });

      const listed = await waitFor(
        async () => {
          const volumes = await listVolumes(home);
          return volumes.find((v) => v.name === 'busy-vol')?.attachedTo.length === 1 ? volumes : undefined;
        },
        { message: 'busy-vol to show as attached' },
      );
      assert.deepEqual(
        listed.map((v) => [v.name, v.attachedTo]),
        [
          ['busy-vol', [spec.taskId]],
          ['idle-vol', []],
          ['other-vol', [spec.taskId]],
        ],
      );

      const error = await rejectsWith(deleteVolume(home, 'busy-vol'), ValidationError);
      assert.match(error.message, new RegExp(`in use by running task ${spec.taskId}`));
      assert.ok(error.suggestions.includes(`Stop it first: flow cancel ${spec.taskId}`), error.suggestions.join('; '));
      assert.ok(existsSync(join(flowPaths(home).volumes, 'busy-vol')), 'the refused volume is kept');

      await deleteVolume(home, 'idle-vol'); // not used: no refusal
      await deleteVolume(home, 'other-vol', { force: true });
      assert.deepEqual((await listVolumes(home)).map((v) => v.name), ['busy-vol']);

      await provider.stopCommand(started, 1000);
      assert.equal((await provider.commandState(started)).state, 'exited');
      assert.deepEqual((await getVolume(home, 'busy-vol')).attachedTo, []);
      await deleteVolume(home, 'busy-vol');
      assert.deepEqual(await listVolumes(home), []);
    } finally {
      if (instance) await provider.stopCommand(instance, 0);
    }
  });

  test('an instance record that lists its volumes is taken at its word', async () => {
    const home = freshHome();
    const provider = new LocalProvider({ home, gpus: [], bubblewrap: 'off' });
    await createVolume(home, { name: 'in-env' });
    await createVolume(home, { name: 'in-record' });
    const spec: NodeSpec = {
      taskId: `volrec-${process.pid}`,
      rank: 0,
      attempt: 0,
      command: 'sleep 30',
      env: {},
      secrets: {},
      volumes: [{ name: 'in-env', sizeGb: 1, mountPath: join(home, 'mnt', 'in-env') }],
      instanceType: 'cpu',
    };
    let instance: InstanceRef | undefined;
    try {
      instance = await provider.provision(spec, localOffers([])[0]!);
      const recordPath = provider.instancePaths(instance).record;
      const record = JSON.parse(readFileSync(recordPath, 'utf8'));
      writeFileSync(recordPath, JSON.stringify({ ...record, volumes: [{ name: 'in-record', sizeGb: 1 }] }));
      await provider.startCommand(instance, spec);
      const started = instance;
      await waitFor(async () => (await provider.commandState(started)).state === 'running', { message: 'sleep 30 to run' });
      const attached = Object.fromEntries((await listVolumes(home)).map((v) => [v.name, v.attachedTo]));
      assert.deepEqual(attached, { 'in-env': [], 'in-record': [spec.taskId] });
    } finally {
      if (instance) await provider.stopCommand(instance, 0);
    }
  });
});

describe('volumes a task creates on first use', () => {
  test('record the size the task asks for; an existing volume keeps its recorded size', async () => {
    const home = freshHome();
    const provider = new LocalProvider({ home, gpus: [], bubblewrap: 'off' });
    await createVolume(home, { name: 'made-by-cli', sizeGb: 10 });
    const spec: NodeSpec = {
      taskId: `volsize-${process.pid}`,
      rank: 0,
      attempt: 0,
      command: 'true',
      env: {},
      secrets: {},
      volumes: [
        { name: 'sized-five', sizeGb: 5 },
        { name: 'default-size', sizeGb: 1 },
        { name: 'made-by-cli', sizeGb: 3 },
      ],
      instanceType: 'cpu',
    };
    await provider.provision(spec, localOffers([])[0]!);
    const sizes = () => listVolumes(home).then((volumes) => Object.fromEntries(volumes.map((v) => [v.name, v.sizeGb])));
    assert.deepEqual(await sizes(), { 'default-size': 1, 'made-by-cli': 10, 'sized-five': 5 });
    const meta = JSON.parse(readFileSync(join(flowPaths(home).volumes, '.meta', 'sized-five.json'), 'utf8'));
    assert.equal(meta.sizeGb, 5);
    assert.ok(!Number.isNaN(Date.parse(meta.createdAt)));

    // A later task asking for another size changes nothing: the size is the one first recorded.
    await provider.provision({ ...spec, taskId: `${spec.taskId}-again`, volumes: [{ name: 'sized-five', sizeGb: 50 }] }, localOffers([])[0]!);
    assert.deepEqual(await sizes(), { 'default-size': 1, 'made-by-cli': 10, 'sized-five': 5 });
    // And creating it by name now is refused as a duplicate, as for any existing volume.
    await rejectsWith(createVolume(home, { name: 'sized-five', sizeGb: 5 }), ValidationError);
  });
});

describe('Volumes (SDK)', () => {
  test('create, list, get and delete through the local provider', async () => {
    const volumes = new Volumes({ provider: 'local' }, inProcessProviderOps(freshHome()));
    await volumes.create({ name: 'sdk-vol', sizeGb: 7 });
    assert.deepEqual((await volumes.list()).map((v) => [v.name, v.sizeGb]), [['sdk-vol', 7]]);
    assert.equal((await volumes.get('sdk-vol')).sizeGb, 7);
    await volumes.delete('sdk-vol');
    assert.deepEqual(await volumes.list(), []);
    await rejectsWith(volumes.get('sdk-vol'), ResourceNotFoundError);
  });

  test('mithril volumes without an API key are refused with AuthenticationError saying how to set one', async () => {
    const volumes = new Volumes({ provider: 'mithril' }, inProcessProviderOps(freshHome()));
    for (const call of [() => volumes.list(), () => volumes.create({ name: 'abc' }), () => volumes.delete('abc')]) {
      const error = await rejectsWith(call(), AuthenticationError);
      assert.equal(error.message, 'No Mithril API key is configured');
      assert.match(error.suggestions.join('\n'), /MITHRIL_API_KEY/);
    }
  });
});
