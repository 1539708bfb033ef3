import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { addFleetHost, readFleet, removeFleetHost } from '../../src/config/fleet-config';
import { loadSettings } from '../../src/config/load-config';
import { ResourceNotFoundError, ValidationError } from '../../src/domain/errors';
import { parseTarget } from '../../src/cli/commands/fleet-action';
import { parseProxyJump } from '../../src/ssh/proxy-jump';
import type { FleetHost } from '../../src/ssh/fleet-host';

const homes: string[] = [];
function home(yaml?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowt-fleetcfg-'));
  homes.push(dir);
  if (yaml !== undefined) writeFileSync(join(dir, 'config.yaml'), yaml);
  return dir;
}
after(() => homes.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const GPU1: FleetHost = { name: 'gpu1', user: 'ubuntu', host: '10.0.0.5', port: 2222, identityFile: '/keys/id', proxyJump: 'admin@bastion', instanceType: '8xa100', cpus: 64, memoryGb: 512, pricePerHour: 2.5, labels: { rack: 'a3' }, remoteDir: '/data/flow' };

describe('the SSH fleet in config.yaml', () => {
  test('readFleet reads snake_case entries with defaults', () => {
    const dir = home('provider: local\nssh:\n  hosts:\n    - name: gpu1\n      user: ubuntu\n      host: 10.0.0.5\n      identity_file: ~/.ssh/id_ed25519\n      price_per_hour: 1\n      labels: { rack: 3 }\n');
    assert.deepEqual(readFleet(dir), [{ name: 'gpu1', user: 'ubuntu', host: '10.0.0.5', port: 22, identityFile: '~/.ssh/id_ed25519', instanceType: 'cpu', cpus: 0, memoryGb: 0, pricePerHour: 1, labels: { rack: '3' } }]);
    // loadSettings accepts the section too (and validates it the same way).
    assert.equal(loadSettings({ env: { FLOW_HOME: dir } }).ssh.hosts[0]?.name, 'gpu1');
  });

  test('no config.yaml, or none in it: an empty fleet', () => {
    assert.deepEqual(readFleet(home()), []);
    assert.deepEqual(readFleet(home('provider: local\n')), []);
  });

  test('an invalid entry names the entry and the field as the file spells it', () => {
    const dir = home('ssh:\n  hosts:\n    - name: gpu1\n      user: u\n      host: h\n    - name: gpu2\n      user: u\n      host: h\n      port: 99999\n      identiy_file: x\n');
    const error = (() => {
      try {
        readFleet(dir);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    assert.ok(error instanceof ValidationError, String(error));
    assert.match(error.message, /ssh\.hosts\[1\] \(gpu2\): port: must be 1-65535/);
    assert.match(error.message, /ssh\.hosts\[1\] \(gpu2\): identiy_file: unknown field/);
    assert.equal(error.field, 'ssh.hosts.gpu2.port');
  });

  test('duplicate names are refused', () => {
    const dir = home('ssh:\n  hosts:\n    - { name: a, user: u, host: h1 }\n    - { name: a, user: u, host: h2 }\n');
    assert.throws(() => readFleet(dir), /ssh\.hosts\[1\] \(a\): name: 'a' is used by another host/);
  });

  test('add keeps other keys and comments, writes snake_case; a name in use is refused; remove', () => {
    const dir = home('# my settings\nprovider: local\nmithril:\n  project: p1\n');
    addFleetHost(dir, GPU1);
    const text = readFileSync(join(dir, 'config.yaml'), 'utf8');
    assert.match(text, /# my settings/);
    assert.match(text, /identity_file: \/keys\/id/);
    assert.match(text, /price_per_hour: 2.5/);
    assert.deepEqual(readFleet(dir), [GPU1]);
    assert.equal(loadSettings({ env: { FLOW_HOME: dir } }).mithril.project, 'p1');
    assert.throws(() => addFleetHost(dir, { ...GPU1, host: 'other' }), /already has a host named 'gpu1'/);
    addFleetHost(dir, { ...GPU1, name: 'gpu2', labels: {} });
    assert.deepEqual(readFleet(dir).map((host) => host.name), ['gpu1', 'gpu2']);
    removeFleetHost(dir, 'gpu1');
    assert.deepEqual(readFleet(dir).map((host) => host.name), ['gpu2']);
    assert.throws(() => removeFleetHost(dir, 'gpu1'), ResourceNotFoundError);
  });

  test('targets and jump hops parse as in OpenSSH', () => {
    assert.deepEqual(parseTarget('root@10.0.0.2'), { user: 'root', host: '10.0.0.2', port: 22 });
    assert.deepEqual(parseTarget('u@[fe80::1]:2222'), { user: 'u', host: 'fe80::1', port: 2222 });
    assert.throws(() => parseTarget('10.0.0.2'), /is not USER@HOST\[:PORT\]/);
    assert.throws(() => parseTarget('u@h:70000'), /is not USER@HOST\[:PORT\]/);
    assert.deepEqual(parseProxyJump('admin@bastion:2200, jump2'), [
      { user: 'admin', host: 'bastion', port: 2200 },
      { user: undefined, host: 'jump2', port: 22 },
    ]);
    assert.throws(() => parseProxyJump('a@b@c'), /is not \[user@\]host\[:port\]/);
  });
});
