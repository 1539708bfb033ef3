import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { withoutInheritedDescriptors } from '../../src/providers/local/inherited-descriptors';

/*
 * What a worker lets its tasks inherit: a process started with a descriptor left open (no
 * close-on-exec) holds it, one started through withoutInheritedDescriptors does not, and in either
 * case the task's command sees only 0-2.
 */

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

/**
 * A node script: the local provider runs `command` as a one-rank task in `home`, then prints
 * { pid, holds, spawner, log }. With `spawner`, the supervisor spawner is started first (as a
 * worker does) and its pid printed.
 */
function providerScript(home: string, taskId: string, command: string, spawner = false): string {
  return `
    const { LocalProvider } = require(${JSON.stringify(join(dist, 'local-provider.js'))});
    const { holdsInheritableDescriptors } = require(${JSON.stringify(join(dist, 'inherited-descriptors.js'))});
    const { prepareSupervisorLaunches } = require(${JSON.stringify(join(dist, 'supervisor.js'))});
    (async () => {
      ${spawner ? 'await prepareSupervisorLaunches();' : ''}
      const provider = new LocalProvider({ home: ${JSON.stringify(home)}, gpus: [] });
      const [offer] = await provider.listOffers();
      const spec = { taskId: ${JSON.stringify(taskId)}, rank: 0, attempt: 1, command: ${JSON.stringify(command)}, env: {}, secrets: [], volumes: [], instanceType: offer.instanceType };
      const instance = await provider.provision(spec, offer);
      await provider.startCommand(instance, spec);
      const deadline = Date.now() + 30000;
      while ((await provider.commandState(instance)).state !== 'exited') {
        if (Date.now() > deadline) throw new Error('the command did not end');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const spawners = require('node:child_process').spawnSync('pgrep', ['-P', String(process.pid), '-f', 'spawner-main'], { encoding: 'utf8' }).stdout.trim();
      process.stdout.write(JSON.stringify({ pid: process.pid, holds: holdsInheritableDescriptors(), spawner: Number(spawners) || undefined, log: (await provider.readOutput(instance, 0, 1 << 20)).toString() }));
      await provider.terminate(instance);
    })().catch((e) => { console.error(e); process.exit(1); });`;
}

/** The descriptors `ls -l /proc/self/fd` listed: 0-2 and the one ls opens to read the folder. */
const listedFds = (log: string) => [...log.matchAll(/ (\d+) -> /g)].map((m) => Number(m[1]));

describe('descriptors a child would inherit', () => {
  const check = `process.stdout.write(String(require(${JSON.stringify(join(dist, 'inherited-descriptors.js'))}).holdsInheritableDescriptors()))`;

  test('a process started with fd 40 open holds one; one started through withoutInheritedDescriptors does not', () => {
    assert.equal(runNode(check, true), 'true');
    assert.equal(runNode(check, false), 'false');
  });

  test('a worker that holds one still keeps it from the task: the launcher closes it', () => {
    // The local provider in a process holding fd 40 (a worker run in-process by such a program).
    const result = JSON.parse(runNode(providerScript(join(scratch, 'home'), 'fds', 'ls -l /proc/self/fd'), true)) as { holds: boolean; log: string };
    assert.equal(result.holds, true, 'the provider process holds fd 40');
    assert.ok(!result.log.includes(marker), `the task does not hold the inherited descriptor:\n${result.log}`);
    assert.deepEqual(listedFds(result.log), [0, 1, 2, 3], result.log);
  });

  test('a worker that holds none spawns the supervisor directly, and the task still sees only 0-2', () => {
    const command = 'ls -l /proc/self/fd; cat /proc/$PPID/status | grep -E "^(PPid|Name):"';
    const result = JSON.parse(runNode(providerScript(join(scratch, 'home2'), 'fds2', command), false)) as { pid: number; holds: boolean; log: string };
    assert.equal(result.holds, false);
    assert.deepEqual(listedFds(result.log), [0, 1, 2, 3], result.log);
    // The command's parent is the supervisor, whose parent is this process: no intermediate shell.
    assert.match(result.log, new RegExp(`^PPid:\\s+${result.pid}$`, 'm'), result.log);
  });

  test('a worker whose spawner runs has it start the supervisor, and the task still sees only 0-2', () => {
    const command = 'ls -l /proc/self/fd; cat /proc/$PPID/status | grep -E "^(PPid|Name):"';
    const result = JSON.parse(runNode(providerScript(join(scratch, 'home3'), 'fds3', command, true), false)) as { pid: number; spawner?: number; log: string };
    assert.ok(result.spawner !== undefined, 'the spawner runs as a child of the provider process');
    assert.deepEqual(listedFds(result.log), [0, 1, 2, 3], result.log);
    // The supervisor's parent is the spawner (a small process whose forks cost less), not this process.
    assert.match(result.log, new RegExp(`^PPid:\\s+${result.spawner}$`, 'm'), result.log);
  });
});
