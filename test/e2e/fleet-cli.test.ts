import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { startSshHosts, type SshHost, type SshHosts } from '../helpers/ssh-hosts';
import { parseYaml } from '../../src/config/parse-yaml';
import { knownHostName } from '../../src/ssh/known-hosts';

const TIMEOUT = 60_000;

// Each CLI call starts node afresh: on a loaded 2-core machine that alone can take seconds.
describe('flow fleet (real sshd hosts)', { timeout: 180_000 }, () => {
  let fleet: SshHosts;
  let h0: SshHost;
  let h1: SshHost;
  let flow: { home: string; cleanup: () => void };
  let env: NodeJS.ProcessEnv;
  const cli = (args: string[]) => runCli(args, { env, timeoutMs: TIMEOUT });
  const target = (host: SshHost) => `${host.user}@${host.address}:${host.port}`;
  const knownHosts = () => readFileSync(join(flow.home, 'ssh', 'known_hosts'), 'utf8');

  before(async () => {
    fleet = await startSshHosts({ count: 2 });
    [h0, h1] = fleet.hosts as [SshHost, SshHost];
    flow = tempFlowHome('flowt-fleet-');
    // No agent, and a HOME without keys: the tests name every key they use.
    env = testEnv(flow.home, { SSH_AUTH_SOCK: '', HOME: flow.home });
  });
  after(async () => {
    await fleet?.stop();
    flow?.cleanup();
  });

  test('add records the host key and facts; list shows it; a name in use is refused; remove', async () => {
    const added = await cli(['fleet', 'add', 'gpu1', target(h0), '--identity-file', h0.privateKeyPath, '--price', '1.5', '--label', 'rack=a3', '--json']);
    assert.equal(added.code, 0, added.stderr + added.stdout);
    const report = JSON.parse(added.stdout);
    assert.equal(report.hostname, h0.hostname);
    assert.equal(report.hostKeyFingerprint, h0.hostKeyFingerprint);
    assert.ok(report.host.cpus > 0, `cpus ${report.host.cpus}`);
    assert.equal(report.host.instanceType, report.gpus.length > 0 ? report.host.instanceType : 'cpu');

    assert.ok(knownHosts().includes((h0.hostPublicKey.split(' ')[1] as string)), knownHosts());
    const config = parseYaml(readFileSync(join(flow.home, 'config.yaml'), 'utf8')) as { ssh: { hosts: Array<Record<string, unknown>> } };
    assert.equal(config.ssh.hosts.length, 1);
    assert.equal(config.ssh.hosts[0]?.name, 'gpu1');
    assert.equal(config.ssh.hosts[0]?.identity_file, h0.privateKeyPath);
    assert.equal(config.ssh.hosts[0]?.price_per_hour, 1.5);
    assert.deepEqual(config.ssh.hosts[0]?.labels, { rack: 'a3' });

    const listed = await cli(['fleet', 'list', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const hosts = JSON.parse(listed.stdout);
    assert.deepEqual(hosts.map((host: { name: string; host: string; port: number }) => [host.name, host.host, host.port]), [['gpu1', h0.address, h0.port]]);
    const table = await cli(['fleet', 'list']);
    assert.match(table.stdout, /NAME\s+ADDRESS\s+TYPE\s+CPUS\s+MEMORY\s+PRICE\/H\s+LABELS/);
    assert.match(table.stdout, /gpu1\s+\S+@\S+\s+\S+\s+\d+\s+\d+ GB\s+\$1\.50\s+rack=a3/);

    const again = await cli(['fleet', 'add', 'gpu1', target(h1), '--identity-file', h1.privateKeyPath]);
    assert.equal(again.code, 3, again.stderr);
    assert.match(again.stderr, /already has a host named 'gpu1'/);

    // Other settings keep working with the fleet in config.yaml.
    const settings = await cli(['config', 'show', '--json']);
    assert.equal(settings.code, 0, settings.stderr + settings.stdout);

    const removed = await cli(['fleet', 'remove', 'gpu1']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(JSON.parse((await cli(['fleet', 'list', '--json'])).stdout), []);
    const missing = await cli(['fleet', 'remove', 'gpu1']);
    assert.equal(missing.code, 4, missing.stderr);
  });

  test('a missing key file: exit 3, naming the host, the field and the fix', async () => {
    const result = await cli(['fleet', 'add', 'nokey', target(h0), '--identity-file', join(flow.home, 'no-such-key')]);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /no-such-key/);
    assert.match(result.stderr, /nokey \(/);
    assert.match(result.stderr, /does not exist/);
    assert.match(result.stderr, /chmod 600/);
  });

  test('a key the host does not accept: login refused, naming the host and authorized_keys', async () => {
    const stranger = join(flow.home, 'stranger_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger], { stdio: 'ignore' });
    const result = await cli(['fleet', 'add', 'refused', target(h1), '--identity-file', stranger, '--json']);
    assert.notEqual(result.code, 0);
    const error = JSON.parse(result.stdout).error;
    assert.equal(error.type, 'AuthenticationError');
    assert.match(error.message, new RegExp(`refused \\(${h1.user}@${h1.address.replace(/\./g, '\\.')}:${h1.port}\\)`));
    assert.ok(error.suggestions.some((s: string) => s.includes('authorized_keys')), error.suggestions.join('\n'));
    assert.ok(!result.stdout.includes(readFileSync(stranger, 'utf8').split('\n')[1] as string), 'key material in the error');
  });

  test('an unreachable host (a closed port): exit 6, retryable, naming the host', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = require('node:net').createServer();
      server.listen(0, '127.0.0.1', () => {
        const port = server.address().port;
        server.close(() => resolve(port));
      });
    });
    const result = await cli(['fleet', 'add', 'gone', `${h0.user}@127.0.0.1:${closed}`, '--identity-file', h0.privateKeyPath]);
    assert.equal(result.code, 6, result.stderr);
    assert.match(result.stderr, new RegExp(`Cannot reach SSH host gone \\(${h0.user}@127\\.0\\.0\\.1:${closed}\\)`));
    assert.match(result.stderr, /ECONNREFUSED/);
  });

  test('a changed host key is refused with both fingerprints; fleet trust records the new one', async () => {
    const added = await cli(['fleet', 'add', 'moved', target(h1), '--identity-file', h1.privateKeyPath]);
    assert.equal(added.code, 0, added.stderr);
    // Another key recorded for the address: what a reinstalled (or impersonated) host looks like.
    const otherKey = h0.hostPublicKey.split(' ')[1] as string;
    const path = join(flow.home, 'ssh', 'known_hosts');
    writeFileSync(path, knownHosts().replace(h1.hostPublicKey.split(' ')[1] as string, otherKey));

    const refused = await cli(['fleet', 'add', 'moved2', target(h1), '--identity-file', h1.privateKeyPath]);
    assert.equal(refused.code, 5, refused.stderr);
    assert.match(refused.stderr, /host key of moved2 \(/);
    assert.ok(refused.stderr.includes(h0.hostKeyFingerprint), refused.stderr);
    assert.ok(refused.stderr.includes(h1.hostKeyFingerprint), refused.stderr);
    assert.match(refused.stderr, /flow fleet trust moved2/);
    assert.ok(refused.stderr.includes(`ssh-keygen -R '${knownHostName(h1.address, h1.port)}'`), refused.stderr);

    const trusted = await cli(['fleet', 'trust', 'moved']);
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.ok(trusted.stdout.includes(h1.hostKeyFingerprint), trusted.stdout);
    // h1's line now holds its real key, and only that one.
    const h1Lines = knownHosts().split('\n').filter((line) => line.split(' ')[0] === knownHostName(h1.address, h1.port));
    assert.deepEqual(h1Lines, [`${knownHostName(h1.address, h1.port)} ${h1.hostPublicKey}`]);
    const now = await cli(['fleet', 'add', 'moved2', target(h1), '--identity-file', h1.privateKeyPath]);
    assert.equal(now.code, 0, now.stderr);
  });
});
