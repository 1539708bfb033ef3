import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { withoutInheritedDescriptors } from '../../src/providers/local/inherited-descriptors';

const scratch = mkdtempSync(join(tmpdir(), 'flow-fds-unit-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const marker = join(scratch, 'marker');
writeFileSync(marker, '');
const dist = join(__dirname, '..', '..', 'src', 'providers', 'local');

/** Runs `script` in a fresh node, with fd 40 open on the marker (no close-on-exec) or through withoutInheritedDescriptors. */
function runNode(script: string, fd40: boolean): string {
  const [file, args] = fd40
    ? ['/bin/bash', ['-c', 'exec 40<"$2"; exec "$0" -e "$1"', process.execPath, script, marker]]
    : withoutInheritedDescriptors(process.execPath, ['-e', script]);
  const result = spawnSync(file, args, { encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

describe('descriptors a child would inherit', () => {
  const check = `process.stdout.write(String(require(${JSON.stringify(join(dist, 'inherited-descriptors.js'))}).holdsInheritableDescriptors()))`;

  test('a process started with fd 40 open holds one; one started through withoutInheritedDescriptors does not', () => {
    assert.equal(runNode(check, true), 'true');
    assert.equal(runNode(check, false), 'false');
  });

  test('a worker that holds one still keeps it from the task: the launcher closes it', () => {
    // The local provider in a process holding fd 40 (a worker run in-process by such a program).
    const script = `
      const { LocalProvider } = require(${JSON.stringify(join(dist, 'local-provider.js'))});
      const { readFileSync } = require('node:fs');
      (async () => {
        const provider = new LocalProvider({ home: ${JSON.stringify(join(scratch, 'home'))}, gpus: [] });
        const [offer] = await provider.listOffers();
        const spec = { taskId: 'fds', rank: 0, attempt: 1, command: 'ls -l /proc/self/fd', env: {}, secrets: [], volumes: [], instanceType: offer.instanceType };
        const instance = await provider.provision(spec, offer);
        await provider.startCommand(instance, spec);
        const deadline = Date.now() + 30000;
        while ((await provider.commandState(instance)).state !== 'exited') {
          if (Date.now() > deadline) throw new Error('the command did not end');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        process.stdout.write(JSON.stringify({ holds: require(${JSON.stringify(join(dist, 'inherited-descriptors.js'))}).holdsInheritableDescriptors(), log: (await provider.readOutput(instance, 0, 1 << 20)).toString() }));
        await provider.terminate(instance);
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const result = JSON.parse(runNode(script, true)) as { holds: boolean; log: string };
    assert.equal(result.holds, true, 'the provider process holds fd 40');
    assert.ok(!result.log.includes(marker), `the task does not hold the inherited descriptor:\n${result.log}`);
    const fds = [...result.log.matchAll(/ (\d+) -> /g)].map((m) => Number(m[1]));
    assert.deepEqual(fds, [0, 1, 2, 3], result.log);
  });

  test('a worker that holds none spawns the supervisor directly, and the task still sees only 0-2', () => {
    const script = `
      const { LocalProvider } = require(${JSON.stringify(join(dist, 'local-provider.js'))});
      (async () => {
        const provider = new LocalProvider({ home: ${JSON.stringify(join(scratch, 'home2'))}, gpus: [] });
        const [offer] = await provider.listOffers();
        const spec = { taskId: 'fds2', rank: 0, attempt: 1, command: 'ls -l /proc/self/fd; cat /proc/$PPID/status | grep -E "^(PPid|Name):"', env: {}, secrets: [], volumes: [], instanceType: offer.instanceType };
        const instance = await provider.provision(spec, offer);
        await provider.startCommand(instance, spec);
        const deadline = Date.now() + 30000;
        while ((await provider.commandState(instance)).state !== 'exited') {
          if (Date.now() > deadline) throw new Error('the command did not end');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        process.stdout.write(JSON.stringify({ pid: process.pid, log: (await provider.readOutput(instance, 0, 1 << 20)).toString() }));
        await provider.terminate(instance);
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const result = JSON.parse(runNode(script, false)) as { pid: number; log: string };
    const fds = [...result.log.matchAll(/ (\d+) -> /g)].map((m) => Number(m[1]));
    assert.deepEqual(fds, [0, 1, 2, 3], result.log);
    // The command's parent is the supervisor, whose parent is this process: no intermediate shell.
    assert.match(result.log, new RegExp(`^PPid:\\s+${result.pid}$`, 'm'), result.log);
  });
});
