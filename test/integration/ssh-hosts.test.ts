import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from 'ssh2';
import { connectSsh, execOn, sshExec } from '../helpers/ssh-client';
import { startSshHosts, type SshHost, type SshHosts } from '../helpers/ssh-hosts';
import { processesMatching } from '../helpers/processes';
import { waitFor } from '../helpers/wait-for';
import { isAlive } from '../../src/daemon/process-alive';

/** Starts `command` on an open connection and resolves with its first stdout line (it keeps running). */
function firstLine(client: Client, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, channel) => {
      if (error) return reject(error);
      let out = '';
      let err = '';
      channel.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
      });
      channel.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
      channel.on('close', () => reject(new Error(`command ended before printing a line: ${err}`)));
    });
  });
}

const node = process.execPath; // the hosts share this machine's filesystem

describe('ssh test hosts (real sshd per host)', { timeout: 90_000 }, () => {
  let fleet: SshHosts;
  let h0: SshHost;
  let h1: SshHost;
  let scratch: string;
  before(async () => {
    fleet = await startSshHosts({ count: 2 });
    [h0, h1] = fleet.hosts as [SshHost, SshHost];
    scratch = mkdtempSync(join(tmpdir(), 'flowt-ssh-scratch-'));
    if (!fleet.isolated) console.log(`# ssh hosts are loopback sshds, not network namespaces: ${fleet.reason}`);
  });
  after(async () => {
    await fleet?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('each host answers hostname with its own name, its host key verified', async () => {
    assert.equal(fleet.hosts.length, 2);
    for (const host of fleet.hosts) {
      const result = await host.exec('hostname');
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.trim(), host.hostname);
      // The recorded fingerprint is the one ssh-keygen computes from the host's key file.
      const listed = execFileSync('ssh-keygen', ['-l', '-f', join(fleet.dir, `h${host.index}`, 'ssh_host_ed25519_key.pub')], { encoding: 'utf8' });
      assert.equal(listed.split(' ')[1], host.hostKeyFingerprint);
    }
    assert.notDeepEqual(h0.hostKey, h1.hostKey);
    if (fleet.isolated) {
      assert.notEqual(h0.hostname, h1.hostname);
      assert.notEqual(h0.address, h1.address);
      assert.deepEqual([h0.port, h1.port], [22, 22]);
    } else {
      assert.notEqual(h0.port, h1.port);
    }
  });

  test('host 1 connects to a server on host 0 (ranks reach each other across hosts)', async () => {
    const client = await connectSsh(h0);
    try {
      // Port 0: the loopback fallback shares one network with everything else on this machine.
      const server =
        `const net=require("net"),os=require("os");` +
        `setTimeout(()=>process.exit(3),30000).unref();` +
        `const s=net.createServer(c=>c.end("hello from "+os.hostname(),()=>s.close()));` +
        `s.listen(0,"${fleet.isolated ? '0.0.0.0' : '127.0.0.1'}",()=>console.log(s.address().port));`;
      const port = Number(await firstLine(client, `${node} -e '${server}'`));
      assert.ok(port > 0, `server port ${port}`);
      const dial =
        `const c=require("net").connect(${port},"${h0.address}");let d="";` +
        `c.on("data",x=>d+=x);c.on("end",()=>console.log(d));c.on("error",e=>{console.error(e.message);process.exit(2)});`;
      const result = await h1.exec(`${node} -e '${dial}'`);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.trim(), `hello from ${h0.hostname}`);
    } finally {
      client.end();
    }
  });

  test('cutting host 0 link makes new connections fail; restoring it brings them back', async () => {
    if (!fleet.isolated) {
      console.log(`# link cut not exercised: ${fleet.reason}`);
      assert.throws(() => fleet.setLink(h0, 'down'), /setLink needs isolated hosts/);
      return;
    }
    fleet.setLink(h0, 'down');
    try {
      const started = Date.now();
      // No route to the host, or no answer before the handshake deadline: never a login.
      await assert.rejects(connectSsh(h0, { timeoutMs: 3_000 }), /Timed out while waiting for handshake|EHOSTUNREACH|ETIMEDOUT/);
      assert.ok(Date.now() - started < 15_000, 'the failed connection took too long to fail');
      // Only host 0 is cut.
      assert.equal((await h1.exec('hostname')).stdout.trim(), h1.hostname);
    } finally {
      fleet.setLink(h0, 'up');
    }
    const back = await waitFor(
      async () => {
        try {
          return (await sshExec(h0, 'hostname', { timeoutMs: 5_000 })).stdout.trim();
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 30_000, intervalMs: 200, message: 'host 0 reachable again after its link came back up' },
    );
    assert.equal(back, h0.hostname);
  });

  test('a wrong client key is refused; a changed host key is detected', async () => {
    const wrongKey = join(scratch, 'wrong_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey], { stdio: 'ignore' });
    await assert.rejects(connectSsh(h0, { privateKeyPath: wrongKey }), (error: Error & { level?: string }) => {
      assert.equal(error.level, 'client-authentication');
      assert.match(error.message, /authentication methods failed/);
      return true;
    });
    await assert.rejects(connectSsh(h0, { expectedHostKey: h1.hostKey }), /verification failed/);
    // The right key and host key still work on the same host.
    const client = await connectSsh(h0);
    try {
      assert.equal((await execOn(client, 'echo ok')).stdout, 'ok\n');
    } finally {
      client.end();
    }
  });

  test('stop removes the namespaces, every sshd and session process, the links and temp files', async () => {
    // A process that leaves its session must not survive stop either.
    const marker = `${600 + Math.floor(Math.random() * 1000)}.${Date.now() % 1000}`;
    await h0.exec(`nohup sleep ${marker} >/dev/null 2>&1 &`);
    const sleeper = await waitFor(() => processesMatching('sleep', marker)[0], { timeoutMs: 10_000, message: 'the detached sleep running' });
    const pids = [h0.pid, h1.pid, sleeper];

    await fleet.stop();

    const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const ns of fleet.namespaces) assert.ok(!namespaces.includes(ns), `namespace ${ns} still there`);
    assert.ok(!execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).includes(fleet.runId), 'a link of this run is still there');
    for (const pid of pids) assert.ok(!isAlive(pid), `pid ${pid} survived stop`);
    assert.deepEqual(processesMatching('sleep', marker), []);
    assert.deepEqual(processesMatching(fleet.dir), [], 'an sshd of this run survived');
    assert.equal(existsSync(fleet.dir), false);
    await fleet.stop(); // idempotent
  });
});
