import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { keyFingerprint, KnownHosts, keyType } from '../../src/ssh/known-hosts';
import { parseHostFacts, DISCOVERY_COMMAND } from '../../src/ssh/host-facts';
import { signalNumber } from '../../src/ssh/ssh-exec';

const dir = mkdtempSync(join(tmpdir(), 'flowt-knownhosts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function hostKey(name: string): { blob: Buffer; fingerprint: string } {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path], { stdio: 'ignore' });
  const blob = Buffer.from(readFileSync(`${path}.pub`, 'utf8').split(' ')[1] as string, 'base64');
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${path}.pub`], { encoding: 'utf8' }).split(' ')[1] as string;
  return { blob, fingerprint };
}

describe('known_hosts (trust on first use)', () => {
  test('new, match, changed (with both fingerprints), forget; OpenSSH spelling; mode 0600', () => {
    const a = hostKey('a');
    const b = hostKey('b');
    assert.equal(keyFingerprint(a.blob), a.fingerprint);
    assert.equal(keyType(a.blob), 'ssh-ed25519');
    const known = new KnownHosts(join(dir, 'ssh', 'known_hosts'));
    assert.deepEqual(known.check('10.0.0.2', 22, a.blob), { status: 'new' });
    known.record('10.0.0.2', 22, a.blob);
    known.record('10.0.0.3', 2222, b.blob);
    const text = readFileSync(known.path, 'utf8');
    assert.match(text, /^10\.0\.0\.2 ssh-ed25519 /m);
    assert.match(text, /^\[10\.0\.0\.3\]:2222 ssh-ed25519 /m);
    assert.equal(statSync(known.path).mode & 0o777, 0o600);
    assert.deepEqual(known.check('10.0.0.2', 22, a.blob), { status: 'match' });
    assert.deepEqual(known.check('10.0.0.2', 22, b.blob), { status: 'changed', recorded: a.fingerprint, offered: b.fingerprint });
    // Another port of the same address is another host.
    assert.deepEqual(known.check('10.0.0.2', 2200, b.blob), { status: 'new' });
    known.forget('10.0.0.2', 22);
    assert.deepEqual(known.check('10.0.0.2', 22, b.blob), { status: 'new' });
    assert.deepEqual(known.check('10.0.0.3', 2222, b.blob), { status: 'match' });
  });
});

describe('host facts', () => {
  test('one command; its output parses to hostname, CPUs, memory, GPUs and the instance type', () => {
    const sections = DISCOVERY_COMMAND.split('\n').filter((line) => line.startsWith('echo ')).length;
    assert.equal(sections, 3);
    const output = ['gpu-box', '--flow-section--', '64', '--flow-section--', 'MemTotal:       528000000 kB', '--flow-section--',
      ...Array.from({ length: 8 }, (_, i) => `${i}, NVIDIA A100-SXM4-80GB, 81920`), ''].join('\n');
    assert.deepEqual(parseHostFacts(output), { hostname: 'gpu-box', cpus: 64, memoryGb: 504, gpus: Array.from({ length: 8 }, () => ({ model: 'a100', memoryGb: 80 })), instanceType: '8xa100' });
    const cpuOnly = parseHostFacts('box\n--flow-section--\n4\n--flow-section--\nMemTotal: 8000000 kB\n--flow-section--\n');
    assert.equal(cpuOnly.instanceType, 'cpu');
    assert.equal(cpuOnly.cpus, 4);
    assert.deepEqual(cpuOnly.gpus, []);
  });

  test('signals map to 128+n', () => {
    assert.equal(signalNumber('SIGKILL'), 9);
    assert.equal(signalNumber('TERM'), 15);
    assert.equal(signalNumber(undefined), 0);
  });
});
