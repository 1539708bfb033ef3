import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { checkHomePermissions, makeHomePrivate } from '../../src/cli/home-permissions';

const roots: string[] = [];
after(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));
function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'flow-home-perms-'));
  roots.push(root);
  return root;
}
const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('FLOW_HOME permissions (flow doctor)', () => {
  test('a private home passes', () => {
    const home = join(tempRoot(), 'home');
    mkdirSync(join(home, 'logs'), { recursive: true, mode: 0o700 });
    assert.equal(checkHomePermissions(home).status, 'pass');
  });

  test('a world-readable home or logs folder warns, naming them and the fix; --fix makes everything private without following links', () => {
    const root = tempRoot();
    const home = join(root, 'home');
    const outside = join(root, 'outside');
    mkdirSync(join(home, 'logs', 't1'), { recursive: true });
    mkdirSync(outside);
    chmodSync(home, 0o755);
    chmodSync(join(home, 'logs'), 0o750);
    writeFileSync(join(home, 'logs', 't1', '0.log'), 'x', { mode: 0o644 });
    chmodSync(join(home, 'logs', 't1', '0.log'), 0o644);
    chmodSync(outside, 0o755);
    symlinkSync(outside, join(home, 'link'));

    const warned = checkHomePermissions(home);
    assert.equal(warned.status, 'warn');
    assert.match(warned.detail, new RegExp(`${home} \\(0755\\).*logs \\(0750\\)`));
    assert.match(warned.fix ?? '', /flow doctor --fix .*chmod -R go-rwx/);

    makeHomePrivate(home);
    assert.deepEqual([modeOf(home), modeOf(join(home, 'logs')), modeOf(join(home, 'logs', 't1', '0.log'))], [0o700, 0o700, 0o600]);
    assert.equal(modeOf(outside), 0o755, 'a link is not followed');
    assert.equal(checkHomePermissions(home).status, 'pass');
  });
});
