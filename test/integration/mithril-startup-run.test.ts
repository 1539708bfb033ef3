import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  buildStartupScript,
  envFilePath,
  MITHRIL_INSTANCE_ID,
  mithrilLayout,
  STARTUP_COMPLETE_MARKER,
  STARTUP_LOG,
  WORKLOAD_EXIT_FILE,
  type StartupScriptInput,
  type StartupScriptOptions,
} from '../../src/providers/mithril/startup';
import { readRemoteOutput, remoteCommandState, stopRemote, type RemoteCommandState } from '../../src/providers/ssh/remote-state';
import { localHostShell } from '../helpers/local-host-shell';
import { StartupNamespace, startupNamespaceUnavailable, NAMESPACE_TMPFS } from '../helpers/startup-namespace';
import { waitFor } from '../helpers/wait-for';

const unavailable = startupNamespaceUnavailable();
if (unavailable !== undefined) console.log(`# mithril startup run tests skipped: ${unavailable}`);

const shell = localHostShell();

function input(over: Partial<StartupScriptInput>): StartupScriptInput {
  return { taskId: 'task-run', name: 'run', command: 'true', env: {}, secrets: {}, volumes: [], numInstances: 1, ...over };
}

/** Every regular file under `dir` (symlinks not followed). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(path));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

describe('Mithril startup script, executed as root in a private mount namespace', { skip: unavailable ?? false, timeout: 300_000 }, () => {
  let scratch: string;
  let seq = 0;
  const running: StartupNamespace[] = [];
  /** Mount points the namespaces had to create on this machine (empty folders), removed at the end. */
  let madeMountPoints: string[] = [];

  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'flowt-mithril-startup-'));
    madeMountPoints = NAMESPACE_TMPFS.filter((dir) => !existsSync(dir));
  });
  after(async () => {
    for (const ns of running) await ns.stop();
    rmSync(scratch, { recursive: true, force: true });
    // Only when still empty; a namespace that just ended may hold its mount point a moment (EBUSY).
    for (const dir of madeMountPoints) {
      await waitFor(
        () => {
          try {
            rmdirSync(dir);
            return true;
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            return code === 'EBUSY' ? false : true; // gone, or in use with files: leave it
          }
        },
        { timeoutMs: 5_000, intervalMs: 100, message: `${dir} can be removed` },
      ).catch(() => undefined);
    }
  });

  /** Builds the script, writes it 0600 into a private folder, and starts it in a fresh namespace. */
  async function start(
    scriptInput: StartupScriptInput,
    options: StartupScriptOptions & { hostname?: string; hosts?: string; mnt?: Record<string, Record<string, string>> } = {},
  ): Promise<{ ns: StartupNamespace; strategy: string }> {
    const dir = join(scratch, `run-${++seq}`);
    mkdirSync(dir, { mode: 0o700 });
    const built = buildStartupScript(scriptInput, options);
    const scriptPath = join(dir, 'startup.sh');
    writeFileSync(scriptPath, built.script, { mode: 0o600 });
    let hostsFile: string | undefined;
    if (options.hosts !== undefined) {
      hostsFile = join(dir, 'hosts');
      writeFileSync(hostsFile, options.hosts, { mode: 0o644 });
    }
    let mntFrom: string | undefined;
    if (options.mnt !== undefined) {
      mntFrom = join(dir, 'mnt');
      for (const [folder, files] of Object.entries(options.mnt)) {
        mkdirSync(join(mntFrom, folder), { recursive: true });
        for (const [name, text] of Object.entries(files)) writeFileSync(join(mntFrom, folder, name), text);
      }
    }
    const ns = new StartupNamespace(scriptPath, { hostname: options.hostname, hostsFile, mntFrom });
    running.push(ns);
    await ns.ready();
    return { ns, strategy: built.strategy };
  }

  async function waitExited(ns: StartupNamespace): Promise<Extract<RemoteCommandState, { state: 'exited' }>> {
    return waitFor(
      async () => {
        const state = await remoteCommandState(shell, MITHRIL_INSTANCE_ID, ns.remoteDir);
        return state.state === 'exited' ? state : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 50, message: `the command exits (startup output:\n${ns.output})` },
    );
  }

  async function outputOf(ns: StartupNamespace): Promise<string> {
    return (await readRemoteOutput(shell, MITHRIL_INSTANCE_ID, 0, 1 << 20, ns.remoteDir)).toString('utf8');
  }

  test('env, secrets and embedded code reach the command; secrets stay out of the process list and every file but the 0600 one', async () => {
    const secret = 'sk-live-SECRET-4242';
    const publicValue = "public 'value' $(not run)";
    const code = join(scratch, 'code');
    mkdirSync(join(code, 'pkg'), { recursive: true });
    writeFileSync(join(code, 'pkg', 'hello.txt'), 'hello from the archive\n');
    const codeArchive = execFileSync('tar', ['-czf', '-', '-C', code, '.']).toString('base64');
    const command = [
      'while [ ! -e /workspace/go ]; do sleep 0.05; done',
      'cat pkg/hello.txt',
      'printf "pwd=%s\\n" "$PWD"',
      'printf "public=%s\\n" "$PUBLIC_SETTING"',
      'printf "secret=%s\\n" "$API_TOKEN"',
      'printf "rank=%s world=%s task=%s\\n" "$FLOW_NODE_RANK" "$WORLD_SIZE" "$FLOW_TASK_ID"',
    ].join('\n');
    const { ns } = await start(
      input({ command, env: { PUBLIC_SETTING: publicValue }, secrets: { API_TOKEN: secret }, workingDir: '/workspace/app', codeArchive }),
    );
    const state = await waitFor(
      async () => {
        const s = await remoteCommandState(shell, MITHRIL_INSTANCE_ID, ns.remoteDir);
        return s.state === 'running' ? s : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 50, message: `the command runs (startup output:\n${ns.output})` },
    );
    assert.ok(state.pid > 1);
    await waitFor(() => existsSync(ns.path(STARTUP_COMPLETE_MARKER)), { message: 'the completion marker' });

    const encodedSecret = Buffer.from(secret).toString('base64');
    const listing = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    for (const leak of [secret, encodedSecret, publicValue, Buffer.from(publicValue).toString('base64')]) {
      assert.ok(!listing.includes(leak), `the process listing shows ${leak}`);
    }
    const envFile = ns.path(envFilePath());
    const holders = NAMESPACE_TMPFS.flatMap((dir) => filesUnder(ns.path(dir))).filter((file) => {
      const text = readFileSync(file, 'latin1');
      return text.includes(secret) || text.includes(encodedSecret);
    });
    assert.deepEqual(holders, [envFile], 'only the env file holds the secret');
    assert.equal(statSync(envFile).mode & 0o777, 0o600);
    assert.ok(!readFileSync(ns.path(STARTUP_LOG), 'utf8').includes(secret));

    writeFileSync(ns.path('/workspace/go'), '');
    const exited = await waitExited(ns);
    assert.equal(exited.exitCode, 0);
    const out = await outputOf(ns);
    assert.match(out, /^hello from the archive$/m);
    assert.match(out, /^pwd=\/workspace\/app$/m);
    assert.ok(out.includes(`public=${publicValue}\n`), out);
    assert.ok(out.includes(`secret=${secret}\n`), out);
    assert.match(out, /^rank=0 world=1 task=task-run$/m);
    assert.equal(readFileSync(ns.path(mithrilLayout().exitCode), 'utf8').trim(), '0');
    assert.equal(await ns.startupExit(), 0);
    assert.match(readFileSync(ns.path(WORKLOAD_EXIT_FILE), 'utf8'), /^EXIT_CODE=0\nEXITED_AT=\d{4}-\d\d-\d\dT/);
  });

  test('a failing command: exit code 3 in the exit file and the workload-exit marker', async () => {
    const { ns } = await start(input({ command: ['bash', '-c', 'echo about to fail; exit 3'] }));
    const exited = await waitExited(ns);
    assert.equal(exited.exitCode, 3);
    assert.match(await outputOf(ns), /^about to fail$/m);
    assert.equal(await ns.startupExit(), 0);
    assert.match(readFileSync(ns.path(WORKLOAD_EXIT_FILE), 'utf8'), /^EXIT_CODE=3$/m);
  });

  const hosts2 = ['127.0.0.1 localhost', '::1 localhost ip6-localhost', '# the nodes', '10.9.0.7 node-b.cluster.internal node-b', '10.9.0.5 node-a.cluster.internal node-a', ''].join('\n');
  const printTopology = 'echo "rank=$FLOW_NODE_RANK node_rank=$NODE_RANK nodes=$FLOW_NUM_NODES world=$WORLD_SIZE main=$FLOW_MAIN_IP master=$MASTER_ADDR:$MASTER_PORT ips=$FLOW_NODE_IPS"';

  test('a 2-node /etc/hosts: the last line is the head (rank 0), the other node rank 1', async () => {
    const scriptInput = input({ command: printTopology, numInstances: 2, env: { FLOW_NODE_RANK: '9', MASTER_ADDR: 'placeholder' }, masterPort: 29555 });
    const [head, worker] = await Promise.all([
      start(scriptInput, { hostname: 'node-a', hosts: hosts2 }),
      start(scriptInput, { hostname: 'node-b', hosts: hosts2 }),
    ]);
    for (const { ns } of [head, worker]) assert.equal((await waitExited(ns)).exitCode, 0);
    const expected = 'nodes=2 world=2 main=10.9.0.5 master=10.9.0.5:29555 ips=10.9.0.5,10.9.0.7';
    assert.match(await outputOf(head.ns), new RegExp(`^rank=0 node_rank=0 ${expected}$`, 'm'));
    assert.match(await outputOf(worker.ns), new RegExp(`^rank=1 node_rank=1 ${expected}$`, 'm'));
  });

  test('a node count that does not match numInstances stops the startup with a clear message', async () => {
    const hosts3 = `${hosts2}10.9.0.9 node-c\n`;
    const { ns } = await start(input({ command: printTopology, numInstances: 2 }), { hostname: 'node-a', hosts: hosts3 });
    assert.equal(await ns.startupExit(), 1);
    assert.match(readFileSync(ns.path(STARTUP_LOG), 'utf8'), /multinode: \/etc\/hosts lists 3 node\(s\) \(IPv4, not 127\/8\), the task has 2/);
    assert.deepEqual(await remoteCommandState(shell, MITHRIL_INSTANCE_ID, ns.remoteDir), { state: 'not_started' });
  });

  test('a volume folder the platform put at /mnt/<name> appears at its mount path (file, and block without a device)', async () => {
    const { ns } = await start(
      input({
        command: 'cat /workspace/data/ckpt/step.txt && echo resumed > /workspace/data/ckpt/after.txt && cat /workspace/scratch/b.txt',
        volumes: [
          { id: 'vol_file1', name: 'ckpt', interface: 'file', mountPath: '/workspace/data/ckpt' },
          { id: 'vol_block1', name: 'scratch', interface: 'block', mountPath: '/workspace/scratch' },
        ],
      }),
      { mnt: { ckpt: { 'step.txt': 'step 41\n' }, scratch: { 'b.txt': 'block fallback\n' } }, volumeWaitSeconds: 5 },
    );
    assert.equal((await waitExited(ns)).exitCode, 0, await outputOf(ns));
    assert.equal(await outputOf(ns), 'step 41\nblock fallback\n');
    assert.equal(readFileSync(ns.path('/mnt/ckpt/after.txt'), 'utf8'), 'resumed\n', 'writes land in the platform folder');
  });

  test('a volume that never appears fails the startup and names what was looked for', async () => {
    const { ns } = await start(
      input({ volumes: [{ id: 'vol_gone', name: 'gone', interface: 'file', mountPath: '/workspace/gone' }] }),
      { volumeWaitSeconds: 1 },
    );
    assert.equal(await ns.startupExit(), 1);
    assert.match(readFileSync(ns.path(STARTUP_LOG), 'utf8'), /volume gone \(vol_gone, file\) did not appear within 1 s: no block device by id and no folder \/mnt\/gone/);
    assert.deepEqual(await remoteCommandState(shell, MITHRIL_INSTANCE_ID, ns.remoteDir), { state: 'not_started' });
  });

  test('a code archive with a member outside the working dir is refused before anything is extracted', async () => {
    const base = join(scratch, 'evil', 'inner');
    mkdirSync(base, { recursive: true });
    writeFileSync(join(scratch, 'evil', 'escape.txt'), 'should never land\n');
    // -P keeps the leading "../" that tar would otherwise strip.
    const codeArchive = execFileSync('tar', ['-czPf', '-', '-C', base, '../escape.txt']).toString('base64');
    const { ns } = await start(input({ workingDir: '/workspace/app', codeArchive }));
    assert.equal(await ns.startupExit(), 1);
    assert.match(readFileSync(ns.path(STARTUP_LOG), 'utf8'), /refusing the code archive: member '\.\.\/escape\.txt' would land outside the working dir/);
    assert.ok(!existsSync(ns.path('/workspace/escape.txt')));
    assert.deepEqual(readdirSync(ns.path('/workspace/app')), []);
  });

  test('a code archive with a link pointing out of the tree is refused', async () => {
    const base = join(scratch, 'linky');
    mkdirSync(base, { recursive: true });
    execFileSync('ln', ['-s', '/etc', join(base, 'etc-link')]);
    const codeArchive = execFileSync('tar', ['-czf', '-', '-C', base, '.']).toString('base64');
    const { ns } = await start(input({ workingDir: '/workspace/app', codeArchive }));
    assert.equal(await ns.startupExit(), 1);
    assert.match(readFileSync(ns.path(STARTUP_LOG), 'utf8'), /refusing the code archive: a link points to '\/etc', outside the working dir/);
    assert.deepEqual(readdirSync(ns.path('/workspace/app')), []);
  });

  test('the compressed bootstrap runs the same way', async () => {
    const env: Record<string, string> = {};
    for (let i = 0; i < 120; i += 1) env[`SETTING_${i}`] = `value-${i % 7}-${'x'.repeat(30)}`;
    const { ns, strategy } = await start(input({ command: 'echo "last=$SETTING_119"; exit 7', env }));
    assert.equal(strategy, 'compressed');
    assert.equal((await waitExited(ns)).exitCode, 7);
    assert.equal(await outputOf(ns), `last=${env.SETTING_119}\n`);
    assert.equal(await ns.startupExit(), 0);
    assert.ok(!existsSync(ns.path('/var/lib/flow/run/startup.sh')), 'the unpacked script is removed');
  });

  test('stopRemote (ssh provider) stops the command the startup script started', async () => {
    const { ns } = await start(input({ command: 'echo started; while :; do sleep 0.1; done' }));
    await waitFor(async () => (await remoteCommandState(shell, MITHRIL_INSTANCE_ID, ns.remoteDir)).state === 'running', {
      timeoutMs: 60_000,
      message: 'the command runs',
    });
    await stopRemote(shell, MITHRIL_INSTANCE_ID, 5_000, ns.remoteDir);
    const exited = await waitExited(ns);
    assert.equal(exited.stopped, true);
    assert.equal(await ns.startupExit(), 0);
    assert.match(readFileSync(ns.path(WORKLOAD_EXIT_FILE), 'utf8'), /^EXIT_CODE=\d+$/m);
  });
});
