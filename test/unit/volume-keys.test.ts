import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FlowError } from '../../src/domain';
import { keysDir, newVolumePassword, unwrapVolumePassword, withPassFile } from '../../src/providers/local/volume-keys';

describe('encrypted volume keys: a per-volume password wrapped by the home key', () => {
  const home = mkdtempSync(join(tmpdir(), 'flow-volume-keys-'));
  after(() => rmSync(home, { recursive: true, force: true }));

  test('the wrapped password unwraps to the same password; the home key is 0600 in a 0700 folder', () => {
    const { password, wrapped } = newVolumePassword(home, 'vault');
    assert.match(password, /^[0-9a-f]{64}$/);
    assert.ok(!wrapped.includes(password), 'the wrapped form does not hold the password');
    assert.equal(unwrapVolumePassword(home, 'vault', wrapped), password);
    assert.notEqual(newVolumePassword(home, 'vault').password, password, 'each volume gets a fresh password');
    assert.equal(statSync(keysDir(home)).mode & 0o777, 0o700);
    assert.equal(statSync(join(keysDir(home), 'home.key')).mode & 0o777, 0o600);
  });

  test('a wrapped password does not open for another volume name, nor after the home key changed', () => {
    const { wrapped } = newVolumePassword(home, 'vault');
    assert.throws(() => unwrapVolumePassword(home, 'other', wrapped), (error: unknown) => error instanceof FlowError && /volume 'other'/.test(error.message));
    const elsewhere = mkdtempSync(join(tmpdir(), 'flow-volume-keys-other-'));
    try {
      assert.throws(() => unwrapVolumePassword(elsewhere, 'vault', wrapped), /cannot be opened with .*home\.key/);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  test('the pass file exists (0600) only while gocryptfs would read it', () => {
    const seen = withPassFile(home, 'pw', (path) => statSync(path).mode & 0o777);
    assert.equal(seen, 0o600);
    assert.deepEqual(readdirSync(keysDir(home)).filter((name) => name.startsWith('pass-')), []);
  });
});
