import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ValidationError } from '../../src/domain/errors';
import { pidAlive, readProcStat } from '../../src/providers/local/processes';
import { launchRemote, type RemoteLaunchInput } from '../../src/providers/ssh/remote-launch';
import { remoteExec } from '../../src/providers/ssh/remote-exec';
import { cleanupRemote, readRemoteOutput, remoteCommandState, stopRemote, type RemoteCommandState } from '../../src/providers/ssh/remote-state';
import { localHostShell } from '../helpers/local-host-shell';
import { waitFor } from '../helpers/wait-for';

const shell = localHostShell();

/** Every regular file under `dir`, recursively (symlinks not followed). */
function filesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(path));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

async function waitExited(instanceId: string, remoteDir: string, timeoutMs = 30_000): Promise<Extract<RemoteCommandState, { state: 'exited' }>> {
  return waitFor(
    async () => {
      const state = await remoteCommandState(shell, instanceId, remoteDir);
      return state.state === 'exited' ? state : undefined;
    },
    { timeoutMs, intervalMs: 50, message: `${instanceId} exited` },
  );
}

async function output(instanceId: string, remoteDir: string): Promise<string> {
  return (await readRemoteOutput(shell, instanceId, 0, 1 << 20, remoteDir)).toString('utf8');
}

describe('remote supervisor over a HostShell (this machine)', { timeout: 180_000 }, () => {
  let scratch: string;
  let remoteDir: string;
  let seq = 0;
  const launched: string[] = [];
  const input = (over: Partial<RemoteLaunchInput> & { command: RemoteLaunchInput['command'] }): RemoteLaunchInput => {
    const instanceId = over.instanceId ?? `t${++seq}-${process.pid}`;
    launched.push(instanceId);
    return { instanceId, remoteDir, env: {}, secrets: {}, volumes: [], ...over };
  };

  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'flowt-remote-sup-'));
    remoteDir = join(scratch, 'flow-host');
  });
  after(async () => {
    for (const id of launched) await cleanupRemote(shell, id, remoteDir).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  });

  test('a command runs to its exit code with stdout and stderr in the output', async () => {
    const spec = input({ command: 'echo hello; echo oops >&2; exit 0' });
    const result = await launchRemote(shell, spec);
    assert.equal(result.started, true);
    const state = await waitExited(spec.instanceId, remoteDir);
    assert.deepEqual(state, { state: 'exited', exitCode: 0 });
    // A stop after the end does not make it a stopped run.
    await stopRemote(shell, spec.instanceId, 1000, remoteDir);
    assert.deepEqual(await remoteCommandState(shell, spec.instanceId, remoteDir), { state: 'exited', exitCode: 0 });
    const text = await output(spec.instanceId, remoteDir);
    assert.match(text, /hello\n/);
    assert.match(text, /oops\n/);
    // Reading from an offset returns only the rest.
    assert.equal((await readRemoteOutput(shell, spec.instanceId, 6, 100, remoteDir)).toString(), text.slice(6));
    // The default working dir is the instance's work folder.
    const pwd = input({ command: 'pwd' });
    await launchRemote(shell, pwd);
    await waitExited(pwd.instanceId, remoteDir);
    assert.equal((await output(pwd.instanceId, remoteDir)).trim(), join(remoteDir, 'instances', pwd.instanceId, 'work'));
  });

  test('not_started before a launch; exit 7 is 7; a signal is 128+n; an argv runs exactly; a leading "-" is a command', async () => {
    assert.deepEqual(await remoteCommandState(shell, 'never-launched', remoteDir), { state: 'not_started' });
    const seven = input({ command: 'exit 7' });
    const killed = input({ command: 'kill -9 $$' });
    const argv = input({ command: ['printf', '%s|', 'a b', "it's", '$HOME'] });
    const dash = input({ command: '-flow-no-such-command' });
    for (const spec of [seven, killed, argv, dash]) await launchRemote(shell, spec);
    assert.equal((await waitExited(seven.instanceId, remoteDir)).exitCode, 7);
    assert.equal((await waitExited(killed.instanceId, remoteDir)).exitCode, 137);
    assert.equal((await waitExited(argv.instanceId, remoteDir)).exitCode, 0);
    assert.equal(await output(argv.instanceId, remoteDir), "a b|it's|$HOME|");
    assert.equal((await waitExited(dash.instanceId, remoteDir)).exitCode, 127);
    assert.match(await output(dash.instanceId, remoteDir), /-flow-no-such-command/);
  });

  test('PATH=/nonexistent in the task env: the supervisor still records the exit code, 0', async () => {
    const spec = input({ command: 'echo path-ok', env: { PATH: '/nonexistent' } });
    await launchRemote(shell, spec);
    assert.equal((await waitExited(spec.instanceId, remoteDir)).exitCode, 0);
    assert.match(await output(spec.instanceId, remoteDir), /path-ok/);
  });

  test('a launch whose stdin is cut short starts nothing, and a retry then starts the command', async () => {
    const spec = input({ command: 'echo "token=$FLOW_T_TOKEN"', secrets: { FLOW_T_TOKEN: 'whole' } });
    const cut: typeof shell = {
      ...shell,
      exec: (command, options = {}) => shell.exec(command, { ...options, stdin: String(options.stdin ?? '').replace(/\.\n$/, '') }),
    };
    await assert.rejects(launchRemote(cut, spec), /did not arrive whole/);
    assert.deepEqual(await remoteCommandState(shell, spec.instanceId, remoteDir), { state: 'not_started' });
    assert.equal((await launchRemote(shell, spec)).started, true);
    assert.equal((await waitExited(spec.instanceId, remoteDir)).exitCode, 0);
    assert.equal(await output(spec.instanceId, remoteDir), 'token=whole\n');
  });

  test('a retried launch never runs the command twice, concurrent or after it ended', async () => {
    const marker = join(scratch, 'runs.txt');
    const spec = input({ command: `echo run >> ${marker}` });
    const [first, second] = await Promise.all([launchRemote(shell, spec), launchRemote(shell, spec)]);
    assert.equal([first, second].filter((r) => r.started).length, 1, 'exactly one launch started it');
    await waitExited(spec.instanceId, remoteDir);
    const third = await launchRemote(shell, spec);
    assert.equal(third.started, false);
    assert.equal(readFileSync(marker, 'utf8'), 'run\n');
  });

  test('the supervisor leads its own session and outlives the shell that launched it; stop kills its group, a child sleep too', async () => {
    const childPidFile = join(scratch, 'child.pid');
    const spec = input({ command: `sleep 300 & echo $! > ${childPidFile}; wait` });
    const result = await launchRemote(shell, spec);
    // The launching exec has returned; the command still runs.
    const state = await remoteCommandState(shell, spec.instanceId, remoteDir);
    assert.equal(state.state, 'running');
    assert.equal(state.state === 'running' && state.pid, result.pid);
    const stat = readProcStat(result.pid!);
    assert.equal(stat?.sid, result.pid, 'its own session');
    assert.equal(stat?.pgid, result.pid, 'its own process group');
    const child = Number(await waitFor(() => existsSync(childPidFile) && readFileSync(childPidFile, 'utf8').trim(), { timeoutMs: 20_000 }));
    assert.equal(readProcStat(child)?.pgid, result.pid);
    await stopRemote(shell, spec.instanceId, 10_000, remoteDir);
    assert.equal(pidAlive(child), false, 'the child sleep is gone');
    assert.equal(pidAlive(result.pid!), false, 'the supervisor is gone');
    assert.deepEqual(await remoteCommandState(shell, spec.instanceId, remoteDir), { state: 'exited', exitCode: 143, stopped: true });
    // Stopping again, or an instance that never ran, is not an error.
    await stopRemote(shell, spec.instanceId, 1000, remoteDir);
    await stopRemote(shell, 'never-launched', 1000, remoteDir);
  });

  test('a command that ignores TERM is killed after the grace period; without an exit code it reads exited null, stopped', async () => {
    const readyFile = join(scratch, 'ignores-term');
    const spec = input({ command: `trap '' TERM; touch ${readyFile}; while :; do sleep 0.1; done` });
    const { pid } = await launchRemote(shell, spec);
    await waitFor(() => existsSync(readyFile), { timeoutMs: 20_000, message: 'TERM trap set' });
    const started = Date.now();
    await stopRemote(shell, spec.instanceId, 1500, remoteDir);
    assert.ok(Date.now() - started >= 1500, 'TERM was given its grace before KILL');
    assert.equal(pidAlive(pid!), false);
    assert.deepEqual(await remoteCommandState(shell, spec.instanceId, remoteDir), { state: 'exited', exitCode: null, stopped: true });
  });

  test('a stop that comes before the launch keeps the command from running', async () => {
    const marker = join(scratch, 'stopped-first.txt');
    const spec = input({ command: `echo ran > ${marker}` });
    mkdirSync(join(remoteDir, 'instances', spec.instanceId), { recursive: true });
    await stopRemote(shell, spec.instanceId, 1000, remoteDir);
    await launchRemote(shell, spec);
    assert.deepEqual(await waitExited(spec.instanceId, remoteDir), { state: 'exited', exitCode: 143, stopped: true });
    assert.equal(existsSync(marker), false);
  });

  test('env and secrets reach the command, but no file under remoteDir and no process argv', async () => {
    const secret = `s3cret-${process.pid}-zq'"\n$x`;
    const plain = "two words\nand 'quotes'\n\n";
    const readyFile = join(scratch, 'env-ready');
    const spec = input({
      command: `printf %s "$FLOW_T_SECRET" | sha256sum; printf %s "$FLOW_T_PLAIN" | base64; echo "unbuffered=$PYTHONUNBUFFERED"; touch ${readyFile}; sleep 300`,
      env: { FLOW_T_PLAIN: plain },
      secrets: { FLOW_T_SECRET: secret },
    });
    await launchRemote(shell, spec);
    await waitFor(() => existsSync(readyFile), { timeoutMs: 20_000, message: 'command started' });
    const text = await output(spec.instanceId, remoteDir);
    assert.ok(text.includes(createHash('sha256').update(secret).digest('hex')), text);
    assert.ok(text.includes(Buffer.from(plain).toString('base64')), text);
    assert.match(text, /unbuffered=1/);
    const needle = `s3cret-${process.pid}`;
    for (const file of filesUnder(remoteDir)) assert.ok(!readFileSync(file, 'latin1').includes(needle), `secret found in ${file}`);
    const args = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    assert.ok(!args.includes(needle), 'secret found in ps args');
    await stopRemote(shell, spec.instanceId, 5000, remoteDir);
  });

  test('remoteExec runs in the working dir with the running command env, input, cwd, and a timeout', async () => {
    const workingDir = join(scratch, 'custom-work');
    const spec = input({ command: 'mkdir -p sub; sleep 300', workingDir, env: { FLOW_T_A: 'from-task', FLOW_T_B: 'task-b' }, secrets: { FLOW_T_S: 'sec' } });
    await launchRemote(shell, spec);
    await waitFor(() => existsSync(join(workingDir, 'sub')), { timeoutMs: 20_000 });
    const base = await remoteExec(shell, spec.instanceId, 'pwd; echo "$FLOW_T_A $FLOW_T_B $FLOW_T_S"; cat', {
      remoteDir,
      env: { FLOW_T_B: 'override' },
      input: 'from-stdin\n',
    });
    assert.equal(base.exitCode, 0, base.stderr);
    assert.equal(base.stdout, `${workingDir}\nfrom-task override sec\nfrom-stdin\n`);
    const sub = await remoteExec(shell, spec.instanceId, ['sh', '-c', 'pwd; exit 3'], { remoteDir, cwd: 'sub' });
    assert.deepEqual([sub.exitCode, sub.stdout], [3, `${join(workingDir, 'sub')}\n`]);
    const slow = await remoteExec(shell, spec.instanceId, 'sleep 60', { remoteDir, timeoutMs: 500 });
    assert.equal(slow.exitCode, 124);
    assert.equal(slow.timedOut, true);
    const bounded = await remoteExec(shell, spec.instanceId, 'head -c 5000 /dev/zero', { remoteDir, maxOutputBytes: 100 });
    assert.equal(bounded.stdout.length, 100);
    assert.equal(bounded.truncated, true);
    await stopRemote(shell, spec.instanceId, 5000, remoteDir);
  });

  test('volumes are folders under remoteDir seen at their mount path, kept after cleanup; a foreign mount path is refused', async () => {
    const mount = join(scratch, 'mnt', 'deep', 'data');
    const volumeName = `vol-${process.pid}`;
    const spec = input({ command: `echo kept > ${mount}/file.txt`, volumes: [{ name: volumeName, mountPath: mount }] });
    await launchRemote(shell, spec);
    assert.equal((await waitExited(spec.instanceId, remoteDir)).exitCode, 0);
    const folder = join(remoteDir, 'volumes', volumeName);
    assert.equal(lstatSync(mount).isSymbolicLink(), true);
    assert.equal(readlinkSync(mount), folder);
    await cleanupRemote(shell, spec.instanceId, remoteDir);
    await cleanupRemote(shell, spec.instanceId, remoteDir); // idempotent
    assert.equal(existsSync(mount), false, 'the link is removed');
    assert.equal(readFileSync(join(folder, 'file.txt'), 'utf8'), 'kept\n', 'the volume folder is kept');
    assert.equal(existsSync(join(remoteDir, 'instances', spec.instanceId)), false);
    assert.deepEqual(await remoteCommandState(shell, spec.instanceId, remoteDir), { state: 'not_started' });

    const taken = join(scratch, 'taken');
    mkdirSync(taken);
    const refused = input({ command: 'true', volumes: [{ name: volumeName, mountPath: taken }] });
    await assert.rejects(launchRemote(shell, refused), (error: unknown) => error instanceof ValidationError && error.message.includes(taken));
    assert.deepEqual(await remoteCommandState(shell, refused.instanceId, remoteDir), { state: 'not_started' });
  });

  test('cleanup kills what is left in the group', async () => {
    const spec = input({ command: 'sleep 300' });
    const { pid } = await launchRemote(shell, spec);
    assert.equal(pidAlive(pid!), true);
    await cleanupRemote(shell, spec.instanceId, remoteDir);
    assert.equal(pidAlive(pid!), false);
    assert.equal(existsSync(join(remoteDir, 'instances', spec.instanceId)), false);
  });

  test('unsafe names and env names are refused before anything runs', async () => {
    await assert.rejects(launchRemote(shell, input({ instanceId: '../x', command: 'true' })), ValidationError);
    await assert.rejects(launchRemote(shell, input({ command: 'true', env: { 'BAD-NAME': 'x' } })), ValidationError);
    await assert.rejects(launchRemote(shell, input({ command: 'true', volumes: [{ name: 'a/b' }] })), ValidationError);
  });
});
