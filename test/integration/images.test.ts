import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flowPaths } from '../../src/config/flow-home';
import { ProviderError, TaskFailedError, ValidationError } from '../../src/domain/errors';
import { Flow } from '../../src/client/flow';
import { IMAGE_MARKER_PATH, IMAGE_MARKER_TEXT, IMAGE_WORKDIR, containerNames, containerTestEnv, ensureTestImage } from '../helpers/container-image';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { rejectionOf } from '../helpers/rejection';
import { untilFileExists } from '../helpers/release-file';
import { waitFor } from '../helpers/wait-for';
import { killWorker } from '../faults/faults';

/**
 * Tasks with an image on the local provider, in real podman containers (see
 * test/helpers/container-image.ts: an offline busybox image and the containers.conf podman needs).
 */
/** Command lines (from /proc) that contain `text`. */
function commandLinesHolding(text: string): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
        return line.includes(text) ? [line] : [];
      } catch {
        return []; // gone meanwhile
      }
    });
}

describe('images on the local provider (podman)', { timeout: 300_000 }, () => {
  let h: FlowHarness;
  let image: string;
  /** A volume's folder on this machine, where the test reads and writes what the container sees. */
  const volumeHostDir = (name: string) => join(flowPaths(h.home).volumes, name);
  const containersOf = (taskId: string) => containerNames(`flow-${taskId}-`);

  before(async () => {
    image = ensureTestImage();
    h = await startFlow('flow-images-', containerTestEnv());
  });
  after(async () => {
    await h?.stop();
  });

  test('the command runs inside the image: its files, env, secrets, working dir; exit code 7 comes back', async () => {
    const secret = 'sekrit-image-value';
    const task = await h.flow.run(
      `cat ${IMAGE_MARKER_PATH}; echo "A=$A"; [ "$S" = "${secret}" ] && echo secret-ok; pwd; echo "home-path=$PATH"; exit 7`,
      // A working dir that only the image has: nothing checks for it on this machine.
      { image, env: { A: 'one two' }, secrets: { S: secret }, workingDir: IMAGE_WORKDIR },
    );
    const error = await rejectionOf(task.wait());
    assert.ok(error instanceof TaskFailedError, String(error));
    assert.equal(error.exitCode, 7);
    const lines = (await task.logs().text()).split('\n');
    assert.deepEqual(lines.slice(0, 4), [IMAGE_MARKER_TEXT, 'A=one two', 'secret-ok', IMAGE_WORKDIR]);
    // The image's PATH, not the worker's.
    assert.equal(lines[4], 'home-path=/bin');
    assert.deepEqual(containersOf(task.taskId), [], 'teardown removed the container');
  });

  test('a volume written by one task is read by the next; without workingDir the code folder is the working dir', async () => {
    const volumes = [{ name: 'img-data', mountPath: '/data' }];
    const first = await h.flow.run('echo "$FLOW_VOLUME_IMG_DATA" > /data/written.txt; echo hello >> /data/written.txt', { image, volumes, wait: true });
    assert.equal(await first.status(), 'completed');
    assert.equal(readFileSync(join(volumeHostDir('img-data'), 'written.txt'), 'utf8'), '/data\nhello\n', 'on the volume on this machine');
    const second = await h.flow.run('cat /data/written.txt; pwd', { image, volumes, wait: true });
    assert.deepEqual((await second.logs().text()).split('\n'), ['/data', 'hello', process.cwd()]);
    assert.deepEqual([...containersOf(first.taskId), ...containersOf(second.taskId)], []);
  });

  test('a restart runs the command again in a fresh container; none is left after', async () => {
    const volumes = [{ name: 'img-retry', mountPath: '/scratch' }];
    const task = await h.flow.run('n=$(cat /scratch/count 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > /scratch/count; echo "attempt-$n"; [ "$n" -ge 2 ]', {
      image,
      volumes,
      retry: { onError: true, maxRestarts: 1, backoff: 0 },
    });
    assert.equal((await task.wait()).status, 'completed');
    const logs = await task.logs().text();
    assert.match(logs, /attempt-1/);
    assert.match(logs, /attempt-2/);
    assert.deepEqual(containersOf(task.taskId), []);
  });

  test('cancel stops the container and nothing of it is left', async () => {
    const secret = 'sekrit-never-in-argv';
    const task = await h.flow.run('echo started; sleep 300', { image, secrets: { TOKEN: secret } });
    await waitFor(async () => (await task.logs().text()).includes('started'), { timeoutMs: 60_000, message: 'the container started' });
    assert.deepEqual(containersOf(task.taskId), [`flow-${task.taskId}-0`]);
    // The secret reaches the container by name: no process's argv (ps) holds its value.
    assert.deepEqual(commandLinesHolding(secret), []);

    // A command beside it runs in the container, with the task's env, secrets and working dir.
    const beside = await task.shell(`cat ${IMAGE_MARKER_PATH}; [ "$TOKEN" = "${secret}" ] && echo token-ok; echo "$EXTRA"; pwd`, { env: { EXTRA: 'extra-ok' } });
    assert.equal(beside.exitCode, 0, beside.stderr);
    assert.deepEqual(beside.stdout.split('\n'), [IMAGE_MARKER_TEXT, 'token-ok', 'extra-ok', process.cwd(), '']);
    const inDir = await task.shell('pwd', { cwd: '/tmp' });
    assert.equal(inDir.stdout, '/tmp\n');
    const outcome = await task.stop();
    assert.equal(outcome.status, 'cancelled');
    await waitFor(() => containersOf(task.taskId).length === 0, { timeoutMs: 30_000, message: 'podman ps -a shows no container of the task' });
  });

  test('a worker killed with SIGKILL mid-run does not start a second container', async () => {
    const volumes = [{ name: 'img-scratch', mountPath: '/scratch' }];
    mkdirSync(volumeHostDir('img-scratch'), { recursive: true });
    const task = await h.flow.run(`echo launched >> /scratch/launches; echo up; ${untilFileExists('/scratch/finish')}; echo done`, { image, volumes });
    await waitFor(async () => (await task.logs().text()).includes('up'), { timeoutMs: 60_000, message: 'the container started' });

    await killWorker(h);
    assert.deepEqual(containersOf(task.taskId), [`flow-${task.taskId}-0`], 'still the one container');

    writeFileSync(join(volumeHostDir('img-scratch'), 'finish'), '');
    const outcome = await task.wait();
    assert.equal(outcome.status, 'completed');
    assert.deepEqual((await task.logs().text()).split('\n'), ['up', 'done']);
    assert.equal(readFileSync(join(volumeHostDir('img-scratch'), 'launches'), 'utf8'), 'launched\n', 'the command was launched exactly once');
    assert.deepEqual(containersOf(task.taskId), []);
  });

  test('a missing image fails the task at once, naming the image and the runtime\'s message; nothing runs on the host', async () => {
    const missing = 'localhost/flow-no-such-image:1';
    const started = Date.now();
    const task = await h.flow.run('echo ran-anyway', { image: missing });
    const error = await rejectionOf(task.wait());
    // The provider's own error (not a bare exit code), as for a working dir that does not exist.
    assert.ok(error instanceof ProviderError, String(error));
    assert.equal(await task.status(), 'failed');
    assert.ok(Date.now() - started < 60_000, `failed after ${Date.now() - started} ms`);
    assert.match(error.message, /image localhost\/flow-no-such-image:1 could not be pulled with podman: .*\S/);
    const logs = await task.logs().text();
    assert.match(logs, /flow: pulling image localhost\/flow-no-such-image:1 with podman/);
    assert.doesNotMatch(logs, /ran-anyway/);
    assert.deepEqual(containersOf(task.taskId), []);
  });

  test('a container that cannot start (no such working dir in the image) fails the task with the runtime\'s message', async () => {
    const task = await h.flow.run('echo never', { image, workingDir: '/flow-no-such-dir' });
    const error = await rejectionOf(task.wait());
    assert.ok(error instanceof ProviderError, String(error));
    assert.match(error.message, new RegExp(`^container flow-${task.taskId}-0 did not start \\(podman\\): .*flow-no-such-dir`));
    assert.ok(error.suggestions.some((suggestion) => /workingDir must exist in the image/.test(suggestion)), error.suggestions.join('\n'));
    assert.deepEqual(containersOf(task.taskId), []);
  });

  test('a 2-rank gang in the image: each rank gets its FLOW_* variables', async () => {
    const task = await h.flow.run('cat /etc/flow-test-image-marker; echo "rank=$FLOW_NODE_RANK nodes=$FLOW_NUM_NODES main=$FLOW_MAIN_IP ips=$FLOW_NODE_IPS task=$FLOW_TASK_ID"', {
      image,
      numInstances: 2,
      wait: true,
    });
    assert.equal(await task.status(), 'completed');
    for (const node of [0, 1]) {
      const lines = (await task.logs({ node }).text()).split('\n');
      assert.deepEqual(lines, [IMAGE_MARKER_TEXT, `rank=${node} nodes=2 main=127.0.0.1 ips=127.0.0.1,127.0.0.1 task=${task.taskId}`]);
    }
    assert.deepEqual(containersOf(task.taskId), []);
  });
});

describe('images with no container runtime on the local provider', { timeout: 180_000 }, () => {
  let h: FlowHarness;
  let fakeBin: string;
  const warnings: string[] = [];
  before(async () => {
    // A docker CLI whose engine does not answer, and only docker to try: no runtime here.
    fakeBin = mkdtempSync(join(tmpdir(), 'flow-images-nort-'));
    writeFileSync(join(fakeBin, 'docker'), '#!/bin/sh\necho "Cannot connect to the Docker daemon at unix:///var/run/docker.sock" >&2\nexit 1\n');
    chmodSync(join(fakeBin, 'docker'), 0o755);
    h = await startFlow('flow-images-nort-', { FLOW_CONTAINER_RUNTIME: 'docker', PATH: `${fakeBin}:${process.env.PATH ?? ''}` });
    await h.flow.close();
    h.flow = await Flow.connect({ env: h.env, onWarning: (message) => warnings.push(message) });
  });
  after(async () => {
    await h?.stop();
    rmSync(fakeBin, { recursive: true, force: true });
  });

  test('a task with an image is refused before submission, saying what to install', async () => {
    const error = await rejectionOf(h.flow.run('echo never', { image: 'localhost/anything:1' }));
    assert.ok(error instanceof ValidationError, String(error));
    assert.equal(error.field, 'image');
    assert.match(error.message, /^image: No container runtime here to run the task's image \(docker: the CLI is here but its engine does not answer \(Cannot connect to the Docker daemon.*\)\); nothing was submitted$/);
    assert.ok(error.suggestions.some((suggestion) => /apt-get install -y podman runc/.test(suggestion)), error.suggestions.join('\n'));
    assert.ok(error.suggestions.some((suggestion) => /--no-image/.test(suggestion)), error.suggestions.join('\n'));
    assert.deepEqual(await h.flow.listTasks(), [], 'nothing was submitted');
  });

  test('host mode runs it on this machine, with a warning', async () => {
    const settings = { ...h.flow.submissionSettings(), noImage: true };
    const taskId = await h.flow.submit(`test -e ${IMAGE_MARKER_PATH} || echo on-the-host`, { image: 'localhost/anything:1' }, { settings });
    const task = h.flow.task(taskId);
    assert.equal((await task.wait()).status, 'completed');
    assert.equal(await task.logs().text(), 'on-the-host');
    assert.deepEqual(warnings, ["image: 'localhost/anything:1' ignored: host mode (--no-image / FLOW_NO_IMAGE=1) runs the command on this machine, not in its image"]);
  });
});
