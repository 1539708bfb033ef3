import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from 'ssh2';
import type { HostShell, RemoteExecOptions, RemoteExecResult } from '../../src/ssh/host-shell';
import { pidAlive } from '../../src/providers/local/processes';
import { shellQuote } from '../../src/providers/ssh/remote-layout';
import { launchRemote } from '../../src/providers/ssh/remote-launch';
import { cleanupRemote, readRemoteOutput, remoteCommandState } from '../../src/providers/ssh/remote-state';
import { connectSsh } from '../helpers/ssh-client';
import { startSshHosts, type SshHost, type SshHosts } from '../helpers/ssh-hosts';
import { waitFor } from '../helpers/wait-for';

/** A test-only HostShell on one ssh2 connection: exec with stdin, readFile through `tail -c`. */
function sshHostShell(client: Client, label: string): HostShell {
  const exec = (command: string, options: RemoteExecOptions = {}): Promise<RemoteExecResult> =>
    new Promise((resolve, reject) => {
      client.exec(command, (error, channel) => {
        if (error) return reject(error);
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let code = 255;
        channel.on('data', (chunk: Buffer) => stdout.push(chunk));
        channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
        channel.on('exit', (exitCode: number | null) => (code = exitCode ?? 255));
        channel.on('close', () => resolve({ code, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), truncated: false, timedOut: false }));
        channel.end(options.stdin ?? '');
      });
    });
  const unsupported = () => Promise.reject(new Error('not used by this test'));
  return {
    label,
    exec,
    async readFile(path, offset, maxBytes) {
      const result = await exec(`tail -c +${offset + 1} ${shellQuote(path)} 2>/dev/null | head -c ${maxBytes}`);
      return result.stdout;
    },
    writeFile: unsupported,
    putFile: unsupported,
    getFile: unsupported,
  };
}

function closed(client: Client): Promise<void> {
  return new Promise((resolve) => {
    client.once('close', () => resolve());
    client.end();
  });
}

describe('remote supervisor over a real sshd', { timeout: 120_000 }, () => {
  let fleet: SshHosts;
  let host: SshHost;
  let scratch: string;
  before(async () => {
    fleet = await startSshHosts({ count: 1 });
    host = fleet.hosts[0]!;
    scratch = mkdtempSync(join(tmpdir(), 'flowt-remote-ssh-'));
    if (!fleet.isolated) console.log(`# ssh host is a loopback sshd, not a network namespace: ${fleet.reason}`);
  });
  after(async () => {
    await fleet?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('a launched command outlives its SSH connection; a new connection reads its exit code and full output', async () => {
    const remoteDir = join(scratch, 'flow-host');
    const go = join(scratch, 'go');
    const instanceId = `ssh-${process.pid}`;
    const first = await connectSsh(host);
    const firstShell = sshHostShell(first, host.name);
    const { pid } = await launchRemote(firstShell, {
      instanceId,
      remoteDir,
      // Waits for the test's signal, which comes only after the launching connection is closed.
      command: `echo before; while [ ! -e ${go} ]; do sleep 0.1; done; seq 1 2000; echo "after $FLOW_T_TOKEN"; exit 5`,
      env: {},
      secrets: { FLOW_T_TOKEN: 'sekrit' },
      volumes: [],
    });
    await waitFor(async () => (await readRemoteOutput(firstShell, instanceId, 0, 100, remoteDir)).toString() === 'before\n', {
      timeoutMs: 30_000,
      message: 'the command printed its first line',
    });
    await closed(first);
    assert.equal(pidAlive(pid!), true, 'the supervisor outlives the connection that launched it');
    writeFileSync(go, '');

    const second = await connectSsh(host);
    try {
      const shell = sshHostShell(second, host.name);
      const state = await waitFor(
        async () => {
          const current = await remoteCommandState(shell, instanceId, remoteDir);
          return current.state === 'exited' ? current : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100, message: 'the command exited' },
      );
      assert.deepEqual(state, { state: 'exited', exitCode: 5 });
      const chunks: Buffer[] = [];
      for (let offset = 0; ; ) {
        const chunk = await readRemoteOutput(shell, instanceId, offset, 4096, remoteDir);
        if (chunk.length === 0) break;
        chunks.push(chunk);
        offset += chunk.length;
      }
      const expected = `before\n${Array.from({ length: 2000 }, (_, index) => `${index + 1}\n`).join('')}after sekrit\n`;
      assert.equal(Buffer.concat(chunks).toString('utf8'), expected);
      await cleanupRemote(shell, instanceId, remoteDir);
      assert.deepEqual(await remoteCommandState(shell, instanceId, remoteDir), { state: 'not_started' });
    } finally {
      await closed(second);
    }
  });
});
