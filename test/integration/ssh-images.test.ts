import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ProviderError, TaskFailedError } from '../../src/domain/errors';
import { readFleet } from '../../src/config/fleet-config';
import { SshProvider } from '../../src/providers/ssh/ssh-provider';
import { SshConnections } from '../../src/ssh/ssh-connections';
import { IMAGE_MARKER_PATH, IMAGE_MARKER_TEXT, IMAGE_WORKDIR, containerNames, containerTestEnv, ensureTestImage, testContainersConf } from '../helpers/container-image';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { rejectionOf } from '../helpers/rejection';
import { startSshHosts, type SshHosts } from '../helpers/ssh-hosts';
import { writeFleetConfig } from '../helpers/ssh-fleet';
import { waitFor } from '../helpers/wait-for';

/**
 * Tasks with an image on the ssh provider: the harness's hosts are real sshds in network
 * namespaces on this machine, sharing its disk, so the podman there has the test image too. The
 * host's podman needs the VM's containers.conf (runc, ulimits): it comes with the task's env,
 * which the remote supervisor hands to the runtime CLI, as a host's own settings would be.
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

describe('images on the ssh provider (podman on a fleet host)', { timeout: 300_000 }, () => {
  let fleet: SshHosts;
  let h: FlowHarness;
  let image: string;
  let remoteDirs: string[];
  const containersOf = (taskId: string) => containerNames(`flow-${taskId}-`);
  const SSH = { provider: 'ssh', uploadCode: false } as const;
  const hostEnv = () => ({ CONTAINERS_CONF: testContainersConf() });

  before(async () => {
    image = ensureTestImage();
    // keepHostMounts: podman on the host needs /sys/fs/cgroup, which `ip netns exec` hides.
    fleet = await startSshHosts({ count: 1, keepHostMounts: true });
    if (!fleet.isolated) console.log(`# ssh hosts are loopback sshds, not network namespaces: ${fleet.reason}`);
    // The worker looks for podman only (the docker CLI here has no engine).
    h = await startFlow('flow-ssh-images-', containerTestEnv());
    remoteDirs = writeFleetConfig(h.home, fleet);
  });
  after(async () => {
    await h?.stop();
    await fleet?.stop();
  });

  test('the command runs in the image on the host: its marker file, env and secret; exit code 7 comes back; no container is left', async () => {
    const secret = 'ssh-image-sekrit';
    const task = await h.flow.run(`cat ${IMAGE_MARKER_PATH}; echo "A=$A"; [ "$S" = "${secret}" ] && echo secret-ok; pwd; echo "path=$PATH"; exit 7`, {
      ...SSH,
      image,
      env: { A: 'one two', ...hostEnv() },
      secrets: { S: secret },
      workingDir: IMAGE_WORKDIR,
    });
    const error = await rejectionOf(task.wait(), 'exit 7');
    assert.ok(error instanceof TaskFailedError, String(error));
    assert.equal(error.exitCode, 7);
    const lines = (await task.logs().text()).split('\n');
    // The image's PATH, not the host's: the command ran inside it.
    assert.deepEqual(lines, [IMAGE_MARKER_TEXT, 'A=one two', 'secret-ok', IMAGE_WORKDIR, 'path=/bin']);
    await waitFor(() => containersOf(task.taskId).length === 0, { timeoutMs: 30_000, message: 'podman ps -a shows no container of the task' });
  });

  test('a volume is bind-mounted at its mount path: what the container writes is in the host\'s volume folder', async () => {
    const task = await h.flow.run('echo from-the-image > /data/written.txt; cat /data/written.txt', {
      ...SSH,
      image,
      env: hostEnv(),
      volumes: [{ name: 'ssh-img-data', mountPath: '/data' }],
    });
    assert.equal((await task.wait()).status, 'completed');
    assert.equal(await task.logs().text(), 'from-the-image');
    assert.equal(readFileSync(join(remoteDirs[0]!, 'volumes', 'ssh-img-data', 'written.txt'), 'utf8'), 'from-the-image\n');
    await waitFor(() => containersOf(task.taskId).length === 0, { timeoutMs: 30_000, message: 'podman ps -a shows no container of the task' });
  });

  test('uploaded code is mounted in the container at its working dir (/flow/code without a workingDir)', async () => {
    const project = mkdtempSync(join(tmpdir(), 'flow-ssh-image-code-'));
    try {
      writeFileSync(join(project, 'train.sh'), 'echo "train in $(pwd)"; cat /etc/flow-test-image-marker\n');
      const task = await h.flow.run('sh train.sh', { provider: 'ssh', codeRoot: project, image, env: hostEnv() });
      assert.equal((await task.wait()).status, 'completed');
      assert.deepEqual((await task.logs().text()).split('\n'), ['train in /flow/code', IMAGE_MARKER_TEXT]);
      await waitFor(() => containersOf(task.taskId).length === 0, { timeoutMs: 30_000, message: 'podman ps -a shows no container of the task' });
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  test('cancel stops the container on the host and nothing of it is left; the secret is in no argv', async () => {
    const secret = 'ssh-image-never-in-argv';
    const task = await h.flow.run('echo started; sleep 300', { ...SSH, image, env: hostEnv(), secrets: { TOKEN: secret } });
    await waitFor(async () => (await task.logs().text()).includes('started'), { timeoutMs: 90_000, message: 'the container started' });
    assert.deepEqual(containersOf(task.taskId), [`flow-${task.taskId}-0`]);
    assert.deepEqual(commandLinesHolding(secret), [], 'no process\'s argv holds the secret');

    // A command beside it runs in the container: the task's env and secrets, extra env by name, a cwd.
    const beside = await task.shell(`cat ${IMAGE_MARKER_PATH}; [ "$TOKEN" = "${secret}" ] && echo token-ok; echo "$EXTRA"; pwd`, { env: { EXTRA: 'extra-ok' } });
    assert.equal(beside.exitCode, 0, 'stderr' in beside ? beside.stderr : '');
    assert.deepEqual('stdout' in beside ? beside.stdout.split('\n') : [], [IMAGE_MARKER_TEXT, 'token-ok', 'extra-ok', '/', '']);
    const inDir = await task.shell('pwd', { cwd: '/tmp' });
    assert.equal('stdout' in inDir ? inDir.stdout : '', '/tmp\n');

    // File copies reach the container, not the host's path of the same name.
    const connections = new SshConnections({ knownHostsPath: join(h.home, 'ssh', 'known_hosts') });
    try {
      const provider = new SshProvider({ fleet: () => readFleet(h.home), shell: (host) => connections.shell(host), leasedHosts: async () => new Set() });
      const node = (await task.describe()).nodes[0]!;
      const ref = { provider: 'ssh' as const, instanceId: node.instanceId!, address: node.address ?? '' };
      const local = mkdtempSync(join(tmpdir(), 'flow-ssh-image-files-'));
      try {
        writeFileSync(join(local, 'up.txt'), 'uploaded\n');
        await provider.putFile(ref, join(local, 'up.txt'), `/tmp/up-${task.taskId}.txt`);
        const read = await task.shell(`cat /tmp/up-${task.taskId}.txt`);
        assert.equal('stdout' in read ? read.stdout : '', 'uploaded\n');
        assert.ok(!existsSync(`/tmp/up-${task.taskId}.txt`), 'not written to the host');
        await provider.getFile(ref, IMAGE_MARKER_PATH, join(local, 'marker'));
        assert.equal(readFileSync(join(local, 'marker'), 'utf8'), `${IMAGE_MARKER_TEXT}\n`);
      } finally {
        rmSync(local, { recursive: true, force: true });
      }
    } finally {
      connections.close();
    }
    const outcome = await task.stop();
    assert.equal(outcome.status, 'cancelled');
    await waitFor(() => containersOf(task.taskId).length === 0, { timeoutMs: 60_000, message: 'podman ps -a shows no container of the task' });
  });

  test('a missing image fails the task at once, naming the image and the host; nothing runs on the host', async () => {
    const missing = 'localhost/flow-no-such-image:1';
    const started = Date.now();
    const task = await h.flow.run('echo ran-anyway', { ...SSH, image: missing, env: hostEnv() });
    const error = await rejectionOf(task.wait());
    assert.ok(error instanceof ProviderError, String(error));
    assert.ok(Date.now() - started < 90_000, `failed after ${Date.now() - started} ms`);
    assert.match(error.message, /image localhost\/flow-no-such-image:1 could not be pulled with podman: .*\S.* \(on host h0\)/);
    assert.doesNotMatch(await task.logs().text(), /ran-anyway/);
    assert.deepEqual(containersOf(task.taskId), []);
  });
});

describe('images on the ssh provider with no runtime on the host', { timeout: 180_000 }, () => {
  let fleet: SshHosts;
  let h: FlowHarness;

  before(async () => {
    fleet = await startSshHosts({ count: 1 });
    // The worker looks for docker only: the hosts have no docker engine (at most its CLI).
    h = await startFlow('flow-ssh-noruntime-', { FLOW_CONTAINER_RUNTIME: 'docker' });
    writeFleetConfig(h.home, fleet);
  });
  after(async () => {
    await h?.stop();
    await fleet?.stop();
  });

  test('the task fails naming the host and what to install; the command never runs on the host', async () => {
    const task = await h.flow.run('echo ran-on-the-host', { provider: 'ssh', uploadCode: false, image: 'localhost/flow-test-busybox:2' });
    const error = await rejectionOf(task.wait());
    assert.ok(error instanceof ProviderError, String(error));
    assert.match(error.message, /No container runtime on h0 .*docker: (not installed|the CLI is here but its engine does not answer)/);
    assert.ok(error.suggestions.some((line) => /apt-get install -y podman/.test(line) && /h0/.test(line)), error.suggestions.join('\n'));
    assert.doesNotMatch(await task.logs().text(), /ran-on-the-host/);
  });
});
