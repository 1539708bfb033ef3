import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { startSshHosts, type SshHost, type SshHosts } from '../helpers/ssh-hosts';
import { waitFor } from '../helpers/wait-for';
import { ProviderError } from '../../src/domain/errors';
import type { FleetHost } from '../../src/ssh/fleet-host';
import { openInteractive } from '../../src/ssh/interactive';
import { forwardPort } from '../../src/ssh/port-forward';
import { SshConnections } from '../../src/ssh/ssh-connections';

const node = process.execPath; // the hosts share this machine's filesystem

function fleetHost(host: SshHost): FleetHost {
  return { name: `h${host.index}`, user: host.user, host: host.address, port: host.port, identityFile: host.privateKeyPath, instanceType: 'cpu', cpus: 1, memoryGb: 1, pricePerHour: 0, labels: {} };
}

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/', timeout: 10_000 }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('SSH transport on ssh2 (real sshd hosts)', { timeout: 150_000 }, () => {
  let fleet: SshHosts;
  let h0: SshHost;
  let scratch: string;
  let connections: SshConnections;
  before(async () => {
    fleet = await startSshHosts({ count: 2 });
    h0 = fleet.hosts[0] as SshHost;
    scratch = mkdtempSync(join(tmpdir(), 'flowt-transport-'));
    if (!fleet.isolated) console.log(`# ssh hosts are loopback sshds, not network namespaces: ${fleet.reason}`);
    // Short deadlines so a cut link is noticed quickly; generous enough for a loaded machine.
    connections = new SshConnections({ knownHostsPath: join(scratch, 'known_hosts'), connectTimeoutMs: 5_000, connectAttempts: 2, keepaliveIntervalMs: 1_000, keepaliveCountMax: 3 });
  });
  after(async () => {
    connections?.close();
    await fleet?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('exec passes stdin, returns output and the exit code; records the host key on first contact', async () => {
    const shell = connections.shell(fleetHost(h0));
    const result = await shell.exec('read line; echo "got $line"; echo oops >&2; exit 7', { stdin: 'secret-value\n' });
    assert.equal(result.code, 7);
    assert.equal(result.stdout.toString(), 'got secret-value\n');
    assert.equal(result.stderr.toString(), 'oops\n');
    assert.equal(result.timedOut, false);
    assert.equal(shell.label, `h0 (${h0.user}@${h0.address}:${h0.port})`);
    const knownHosts = readFileSync(join(scratch, 'known_hosts'), 'utf8');
    assert.ok(knownHosts.includes(h0.hostPublicKey.split(' ')[1] as string), knownHosts);
  });

  test('a signal gives 128+n; output beyond the limit is truncated', async () => {
    const shell = connections.shell(fleetHost(h0));
    assert.equal((await shell.exec('kill -TERM $$')).code, 128 + 15);
    const big = await shell.exec('head -c 100000 /dev/zero', { maxOutputBytes: 1000 });
    assert.equal(big.stdout.length, 1000);
    assert.equal(big.truncated, true);
  });

  test('a timeout kills the command (its process group) with code 124', async () => {
    const shell = connections.shell(fleetHost(h0));
    const marker = join(scratch, 'after-timeout');
    const started = Date.now();
    const result = await shell.exec(`sleep 31; touch ${marker}`, { timeoutMs: 1_000 });
    assert.equal(result.code, 124);
    assert.equal(result.timedOut, true);
    assert.ok(Date.now() - started < 20_000, 'the timeout took too long');
    // The sleep is gone with its shell (the bracket keeps pgrep's own shell from matching).
    const sleeping = await shell.exec(`pgrep -f "slee[p] 31; touch ${marker}" || true`);
    assert.equal(sleeping.stdout.toString().trim(), '');
  });

  test('readFile from offsets (a missing file reads empty); writeFile and put/get round trip', async () => {
    const shell = connections.shell(fleetHost(h0));
    const remote = join(scratch, 'remote.txt');
    await shell.writeFile(remote, 'hello, world\n', 0o600);
    assert.equal((await shell.readFile(remote, 0, 5)).toString(), 'hello');
    assert.equal((await shell.readFile(remote, 7, 100)).toString(), 'world\n');
    assert.equal((await shell.readFile(remote, 100, 10)).length, 0);
    assert.equal((await shell.readFile(join(scratch, 'missing.txt'), 0, 10)).length, 0);
    assert.equal((await shell.exec(`stat -c %a ${remote}`)).stdout.toString().trim(), '600');
    await shell.writeFile(remote, 'replaced');
    assert.equal((await shell.readFile(remote, 0, 100)).toString(), 'replaced');

    const local = join(scratch, 'local.bin');
    const payload = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
    writeFileSync(local, payload);
    const uploaded = join(scratch, 'uploaded.bin');
    await shell.putFile(local, uploaded, 0o640);
    assert.equal((await shell.exec(`stat -c %a ${uploaded}`)).stdout.toString().trim(), '640');
    const back = join(scratch, 'back.bin');
    await shell.getFile(uploaded, back);
    assert.ok(readFileSync(back).equals(payload));
  });

  test('20 parallel calls on a fresh pool share one connect and one TCP connection', async () => {
    const fresh = new SshConnections({ knownHostsPath: join(scratch, 'known_hosts'), connectTimeoutMs: 10_000 });
    try {
      const shell = fresh.shell(fleetHost(h0));
      const results = await Promise.all(Array.from({ length: 20 }, () => shell.exec('echo "$SSH_CONNECTION"')));
      assert.ok(results.every((result) => result.code === 0), results.map((result) => result.stderr.toString()).join('\n'));
      const sessions = new Set(results.map((result) => result.stdout.toString().trim()));
      assert.equal(sessions.size, 1, [...sessions].join(' | '));
    } finally {
      fresh.close();
    }
  });

  test('ProxyJump: a host reached through another one', async () => {
    const h1 = fleet.hosts[1] as SshHost;
    const jumped: FleetHost = { ...fleetHost(h1), name: 'h1-via-h0', proxyJump: `${h0.user}@${h0.address}:${h0.port}` };
    const result = await connections.shell(jumped).exec('hostname; echo "$SSH_CONNECTION"');
    assert.equal(result.code, 0, result.stderr.toString());
    const [name, connection] = result.stdout.toString().trim().split('\n');
    assert.equal(name, h1.hostname);
    // On separate hosts, h1 sees the connection come from h0.
    if (fleet.isolated) assert.equal(connection?.split(' ')[0], h0.address);
  });

  test('a port forward reaches a server on the host; a non-PTY interactive command returns output and exit code', async () => {
    const client = await connections.client(fleetHost(h0));
    const server = `require("http").createServer((q,s)=>s.end("served by "+require("os").hostname())).listen(0,"127.0.0.1",function(){console.log(this.address().port)});setTimeout(()=>process.exit(0),60000)`;
    const shell = connections.shell(fleetHost(h0));
    const portFile = join(scratch, 'http-port');
    await shell.exec(`nohup ${node} -e '${server}' > ${portFile} 2>&1 &`);
    const remotePort = await waitFor(() => Number(readFileSync(portFile, 'utf8').trim()) || undefined, { timeoutMs: 30_000, message: 'the host server printed its port' });
    const forward = await forwardPort(client, { localPort: 0, remotePort });
    try {
      assert.equal(await httpGet(forward.port), `served by ${h0.hostname}`);
    } finally {
      await forward.close();
      await shell.exec(`pkill -f 'served by' || true`);
    }

    const stdin = Object.assign(new PassThrough(), { isTTY: false });
    stdin.end();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (chunk) => (out += chunk));
    const code = await openInteractive(client, { command: 'hostname; exit 3', pty: true }, { stdin, stdout, stderr });
    assert.equal(code, 3);
    assert.equal(out.trim(), h0.hostname);
  });

  test('with a TTY on stdin the session gets a PTY of the terminal size, raw mode on, then restored', async () => {
    const client = await connections.client(fleetHost(h0));
    const rawModes: boolean[] = [];
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: (mode: boolean) => rawModes.push(mode) });
    const stdout = Object.assign(new PassThrough(), { rows: 33, columns: 101 });
    let out = '';
    stdout.on('data', (chunk) => (out += chunk));
    const code = await openInteractive(client, { command: 'tty; stty size; exit 4', pty: true }, { stdin, stdout, stderr: new PassThrough() });
    assert.equal(code, 4);
    assert.match(out, /\/dev\/pts\/\d+/);
    assert.match(out, /^33 101\r?$/m);
    assert.deepEqual(rawModes, [true, false]);
    stdin.end();
  });

  test('a cut link fails calls as retryable unreachable; after it is restored the next call reconnects', async (t) => {
    if (!fleet.isolated) {
      t.diagnostic(`link cut not exercised: ${fleet.reason}`);
      assert.throws(() => fleet.setLink(h0, 'down'), /setLink needs isolated hosts/);
      return;
    }
    const shell = connections.shell(fleetHost(h0));
    const before = (await shell.exec('echo "$SSH_CONNECTION"')).stdout.toString().trim();
    fleet.setLink(h0, 'down');
    try {
      const error = await shell.exec('true').then(
        () => assert.fail('a call over a cut link succeeded'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof ProviderError, String(error));
      assert.equal(error.retryable, true);
      assert.match(error.message, /Cannot reach SSH host h0 \(/);
    } finally {
      fleet.setLink(h0, 'up');
    }
    const after = await waitFor(
      async () => {
        try {
          return (await shell.exec('echo "$SSH_CONNECTION"')).stdout.toString().trim();
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 45_000, intervalMs: 500, message: 'host 0 reachable again after its link came back up' },
    );
    assert.notEqual(after, before, 'the call after the link came back used a new connection');
  });

  test('closing the pool while a call waits on a silent host fails that call within seconds', async (t) => {
    if (!fleet.isolated) {
      t.diagnostic(`silent host not exercised: ${fleet.reason}`);
      return;
    }
    const h1 = fleet.hosts[1] as SshHost;
    // Its own pool, as a Mithril instance has: closing it must not wait for the vanished peer.
    const pool = new SshConnections({ knownHostsPath: join(scratch, 'known_hosts_silent'), connectTimeoutMs: 5_000, connectAttempts: 1 });
    const shell = pool.shell(fleetHost(h1));
    assert.equal((await shell.readFile('/etc/hostname', 0, 100)).length > 0, true, 'the SFTP session is open');
    fleet.setLink(h1, 'down');
    try {
      const pending = shell.readFile('/etc/hostname', 0, 100).then(
        () => 'resolved',
        () => 'rejected',
      );
      // The request goes out on the open session within this turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      const closedAt = Date.now();
      pool.close();
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still waiting after 10 s'), 10_000)));
      const outcome = await Promise.race([pending, hung]);
      clearTimeout(timer);
      assert.equal(outcome, 'rejected');
      assert.ok(Date.now() - closedAt < 10_000);
    } finally {
      fleet.setLink(h1, 'up');
      pool.close();
    }
  });
});
