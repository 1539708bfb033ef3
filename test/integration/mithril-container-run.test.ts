import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { renderStartupScript, MITHRIL_INSTANCE_ID, type StartupScriptInput } from '../../src/providers/mithril/startup';
import { cleanupRemote, readRemoteOutput, remoteCommandState, stopRemote } from '../../src/providers/ssh/remote-state';
import { IMAGE_MARKER_PATH, IMAGE_MARKER_TEXT, IMAGE_WORKDIR, containerNames, ensureTestImage, testContainersConf } from '../helpers/container-image';
import { localHostShell } from '../helpers/local-host-shell';
import { remoteExec } from '../../src/providers/ssh/remote-exec';
import { getContainerFile, putContainerFile, remoteContainerRecord } from '../../src/providers/ssh/remote-container-files';
import { waitFor } from '../helpers/wait-for';

/**
 * The Mithril startup script's container mode, run for real with this machine's podman: the
 * supervisor the script writes (the part that runs the container) is started as the script
 * would start it, in an instance folder of its own, and read, stopped and cleaned up with the
 * ssh provider's remote-state.ts, as the worker does on an instance. Not in the simulator's
 * namespaces: their fresh /run would make podman reset its state for the whole machine.
 */
const shell = localHostShell();

/** The supervisor.sh body the startup script writes (its quoted here-document). */
function supervisorOf(input: StartupScriptInput): string {
  const script = renderStartupScript(input);
  const opener = script.indexOf(`cat > "$_flow_i/supervisor.sh" <<'`);
  assert.ok(opener >= 0, 'the script writes the supervisor');
  const header = script.slice(opener, script.indexOf('\n', opener));
  const delimiter = /<<'([^']+)'$/.exec(header)![1]!;
  const start = opener + header.length + 1;
  return script.slice(start, script.indexOf(`\n${delimiter}\n`, start) + 1);
}

describe('Mithril container mode, run with podman', { timeout: 180_000 }, () => {
  let scratch: string;
  let image: string;
  const taskIds: string[] = [];

  before(() => {
    image = ensureTestImage();
    scratch = mkdtempSync(join(tmpdir(), 'flowt-mithril-container-'));
  });
  after(async () => {
    // Containers of these tests only, should a test have failed before its cleanup.
    for (const taskId of taskIds) for (const name of containerNames(`flow-${taskId}`)) spawnSync('podman', ['rm', '-f', name], { env: { ...process.env, CONTAINERS_CONF: testContainersConf() } });
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Writes the supervisor into a fresh instance folder and starts it in its own session, with `env` as the env file would give it. */
  function launch(input: Omit<StartupScriptInput, 'taskId' | 'name' | 'numInstances'>, env: Record<string, string>) {
    const taskId = `mct-${randomBytes(4).toString('hex')}`;
    taskIds.push(taskId);
    const remoteDir = join(scratch, taskId);
    const instanceDir = join(remoteDir, 'instances', MITHRIL_INSTANCE_ID);
    mkdirSync(join(instanceDir, 'launched'), { recursive: true });
    writeFileSync(join(instanceDir, 'workdir'), `${scratch}\n`);
    writeFileSync(join(instanceDir, 'supervisor.sh'), supervisorOf({ ...input, taskId, name: taskId, numInstances: 1 }));
    const child = spawn('/bin/sh', [join(instanceDir, 'supervisor.sh'), instanceDir], {
      detached: true, // its own session and group, as setsid gives it on the instance
      stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CONTAINERS_CONF: testContainersConf(), PYTHONUNBUFFERED: '1', FLOW_TASK_ID: taskId, FLOW_GPUS_PER_NODE: '0', ...env },
    });
    child.unref();
    return { taskId, remoteDir };
  }

  const output = async (remoteDir: string) => (await readRemoteOutput(shell, MITHRIL_INSTANCE_ID, 0, 1 << 20, remoteDir)).toString('utf8');
  const exited = (remoteDir: string) =>
    waitFor(
      async () => {
        const state = await remoteCommandState(shell, MITHRIL_INSTANCE_ID, remoteDir);
        return state.state === 'exited' ? state : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, message: 'the command exits' },
    );

  test('the command runs in the image: marker, env, secret, volume at its mount path; exit code 7; cleanup leaves no container', async () => {
    const volume = join(scratch, 'vol-data');
    mkdirSync(volume);
    const secret = 'mithril-container-sekrit';
    const { taskId, remoteDir } = launch(
      {
        command: `cat ${IMAGE_MARKER_PATH}; echo "A=$A"; [ "$S" = "${secret}" ] && echo secret-ok; pwd; echo written > ${volume}/out.txt; exit 7`,
        image,
        env: { A: 'one two' },
        secrets: { S: secret },
        workingDir: IMAGE_WORKDIR,
        volumes: [{ id: 'vol_1', name: 'data', interface: 'file', mountPath: volume }],
      },
      { A: 'one two', S: secret },
    );
    const state = await exited(remoteDir);
    const log = await output(remoteDir);
    assert.equal(state.exitCode, 7, log);
    assert.equal(log, `${IMAGE_MARKER_TEXT}\nA=one two\nsecret-ok\n${IMAGE_WORKDIR}\n`);
    assert.equal(readFileSync(join(volume, 'out.txt'), 'utf8'), 'written\n');
    assert.deepEqual(containerNames(`flow-${taskId}`), [`flow-${taskId}`], 'the exited container is kept until cleanup');
    await cleanupRemote(shell, MITHRIL_INSTANCE_ID, remoteDir);
    assert.deepEqual(containerNames(`flow-${taskId}`), [], 'podman ps -a shows no container of the task');
    assert.equal(readFileSync(join(volume, 'out.txt'), 'utf8'), 'written\n', 'the volume stays');
  });

  test('commands and files beside it reach the container; a stop stops it with grace; a missing image fails naming it', async () => {
    const running = launch({ command: 'echo started; sleep 300', image, env: {}, secrets: {}, volumes: [] }, {});
    await waitFor(async () => (await output(running.remoteDir)).includes('started'), { timeoutMs: 60_000, message: 'the container started' });
    // Commands and files beside it reach the container (as the worker's exec and copies do on an instance).
    const beside = await remoteExec(shell, MITHRIL_INSTANCE_ID, `cat ${IMAGE_MARKER_PATH}; echo "task=$FLOW_TASK_ID extra=$EXTRA"`, { remoteDir: running.remoteDir, env: { EXTRA: 'x1' } });
    assert.equal(beside.stdout, `${IMAGE_MARKER_TEXT}\ntask=${running.taskId} extra=x1\n`, beside.stderr);
    const record = await remoteContainerRecord(shell, MITHRIL_INSTANCE_ID, running.remoteDir);
    assert.equal(record?.name, `flow-${running.taskId}`);
    writeFileSync(join(scratch, 'up.txt'), 'uploaded\n');
    await putContainerFile(shell, MITHRIL_INSTANCE_ID, record!, join(scratch, 'up.txt'), '/tmp/up.txt', running.remoteDir);
    await getContainerFile(shell, MITHRIL_INSTANCE_ID, record!, '/tmp/up.txt', join(scratch, 'down.txt'), running.remoteDir);
    assert.equal(readFileSync(join(scratch, 'down.txt'), 'utf8'), 'uploaded\n');
    await stopRemote(shell, MITHRIL_INSTANCE_ID, 2_000, running.remoteDir);
    const stopped = await exited(running.remoteDir);
    assert.equal(stopped.stopped, true);
    await cleanupRemote(shell, MITHRIL_INSTANCE_ID, running.remoteDir);
    assert.deepEqual(containerNames(`flow-${running.taskId}`), []);

    const missing = launch({ command: 'echo ran-anyway', image: 'localhost/flow-no-such-image:1', env: {}, secrets: {}, volumes: [] }, {});
    const failed = await exited(missing.remoteDir);
    assert.equal(failed.exitCode, 125);
    assert.match(failed.containerError ?? '', /^image localhost\/flow-no-such-image:1 could not be pulled with podman: /);
    assert.doesNotMatch(await output(missing.remoteDir), /ran-anyway/);
    await cleanupRemote(shell, MITHRIL_INSTANCE_ID, missing.remoteDir);
  });
});
