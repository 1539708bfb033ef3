import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { utils } from 'ssh2';
import { localInstanceKey } from '../../src/providers/mithril/instance-ssh-key';
import { mithrilKeyPath } from '../../src/ssh/mithril-paths';

/*
 * The worker's Mithril key is made once per home, also when several processes ask for it at the
 * same moment: every caller gets the same pair, whole, and the private half matches the public.
 */

const scratch = mkdtempSync(join(tmpdir(), 'flow-instance-key-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const moduleFile = join(__dirname, '..', '..', 'src', 'providers', 'mithril', 'instance-ssh-key.js');

/** The public key one fresh process got for `home`. */
function askInChild(home: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(moduleFile)}).localInstanceKey(${JSON.stringify(home)}).publicKey)`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

function publicOf(privateKeyPath: string): string {
  const parsed = utils.parseKey(readFileSync(privateKeyPath));
  assert.ok(!(parsed instanceof Error), 'the private key parses');
  const key = Array.isArray(parsed) ? parsed[0]! : parsed;
  return key.getPublicSSH().toString('base64');
}

describe('the worker key for Mithril instances', () => {
  test('eight processes asking at once all get one pair, whole and matching', async () => {
    const home = join(scratch, 'race');
    const keys = await Promise.all(Array.from({ length: 8 }, () => askInChild(home)));
    assert.equal(new Set(keys).size, 1, `one public key for all:\n${keys.join('\n')}`);
    assert.equal(keys[0]!.split(' ')[1], publicOf(mithrilKeyPath(home)), 'the private half is the public half\'s pair');
    assert.equal(statSync(mithrilKeyPath(home)).mode & 0o777, 0o600);
    assert.equal(localInstanceKey(home).publicKey, keys[0], 'made once: later calls read it');
  });

  test('a private half left without its public half gets the matching public half', () => {
    const home = join(scratch, 'half');
    const first = localInstanceKey(home);
    rmSync(`${first.privateKeyPath}.pub`);
    const again = localInstanceKey(home);
    assert.equal(again.publicKey.split(' ')[1], first.publicKey.split(' ')[1]);
  });

  test('a file that is not a key is named, with what to do', () => {
    const home = join(scratch, 'junk');
    mkdirSync(join(home, 'keys', 'mithril'), { recursive: true });
    writeFileSync(mithrilKeyPath(home), 'not a key\n', { mode: 0o600 });
    assert.throws(() => localInstanceKey(home), /not a key Flow can read.*remove it/);
  });
});
