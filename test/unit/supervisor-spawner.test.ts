import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { instancePaths } from '../../src/providers/local/instance-files';
import { supervisorScript } from '../../src/providers/local/supervisor';
import { SpawnerGoneError, SupervisorSpawner } from '../../src/providers/local/supervisor-spawner';

/*
 * The supervisor spawner: a small process that forks each supervisor for the worker. It starts
 * `/bin/sh <script>` in a new session with the given env and folder, says when it ended, reports
 * a spawn it could not do, and, if it dies before answering, leaves the launch to the worker
 * without a second supervisor (the script's own pid check).
 */

const scratch = mkdtempSync(join(tmpdir(), 'flow-spawner-unit-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * `promise`, or a failure after `ms`. Its timer also keeps this process alive meanwhile: the
 * spawner and its pipes do not (a worker's own connections do).
 */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function readySpawner(): Promise<SupervisorSpawner> {
  const spawner = new SupervisorSpawner();
  assert.equal(await within(spawner.start(), 30_000, 'started'), true, 'the spawner starts');
  return spawner;
}

function script(name: string, body: string): string {
  const path = join(scratch, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o700 });
  return path;
}

describe('supervisor spawner', () => {
  test('answers undefined until it runs, then starts the script in a new session with its env and folder', async () => {
    const spawner = new SupervisorSpawner();
    try {
      assert.equal(spawner.spawn(script('unused.sh', 'exit 0'), { env: {}, cwd: scratch }), undefined, 'not started yet: the caller forks itself');
      assert.equal(await within(spawner.start(), 30_000, 'started'), true);
      const out = join(scratch, 'seen');
      const work = join(scratch, 'work');
      mkdirSync(work);
      const asked = spawner.spawn(script('seen.sh', `echo "$$ $(ps -o sid= -p $$ | tr -d ' ') $FLOW_SPAWN_PROBE $(pwd)" > ${out}`), { env: { FLOW_SPAWN_PROBE: 'probe value', PATH: '/usr/bin:/bin' }, cwd: work });
      assert.ok(asked !== undefined, 'a running spawner takes the launch');
      const { ended } = await within(asked, 30_000, 'spawned');
      await within(ended, 30_000, 'the supervisor ended');
      const [pid, sid, ...rest] = readFileSync(out, 'utf8').trim().split(' ');
      assert.equal(sid, pid, 'the supervisor leads its own session');
      assert.equal(rest.join(' '), `probe value ${work}`);
    } finally {
      spawner.stop();
    }
  });

  test('a spawn it cannot do rejects with the reason', async () => {
    const spawner = await readySpawner();
    try {
      const asked = spawner.spawn(script('nowhere.sh', 'exit 0'), { env: {}, cwd: join(scratch, 'no-such-folder') });
      await assert.rejects(within(asked!, 30_000, 'answered'), /ENOENT/);
    } finally {
      spawner.stop();
    }
  });

  test('a spawner that dies before answering: the launch rejects as SpawnerGoneError, and the next call starts a new one', async () => {
    const spawner = await readySpawner();
    try {
      const first = spawner.pid;
      assert.ok(first !== undefined, 'the spawner runs as a child of this process');
      // Stopped, it reads nothing: the request waits unanswered until it is killed.
      process.kill(first, 'SIGSTOP');
      const asked = spawner.spawn(script('late.sh', 'exit 0'), { env: {}, cwd: scratch })!;
      process.kill(first, 'SIGKILL');
      await assert.rejects(within(asked, 30_000, 'answered'), SpawnerGoneError);
      assert.equal(spawner.spawn(script('next.sh', 'exit 0'), { env: {}, cwd: scratch }), undefined, 'no spawner is ready right after');
      assert.equal(await within(spawner.start(), 30_000, 'started again'), true, 'a new one starts');
      assert.ok(spawner.pid !== undefined && spawner.pid !== first, 'the new spawner is another process');
    } finally {
      spawner.stop();
    }
  });

  test('a second supervisor of the same instance ends without running the command', () => {
    const paths = instancePaths(join(scratch, 'home'), 'twice');
    mkdirSync(paths.dir, { recursive: true });
    const marker = join(scratch, 'launches');
    writeFileSync(paths.supervisorScript, supervisorScript({ instanceId: 'twice', paths, workDir: scratch, command: `echo ran >> ${marker}` }), { mode: 0o700 });
    for (let run = 0; run < 2; run++) {
      const result = spawnSync('/bin/sh', [paths.supervisorScript], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(result.status, 0, result.stderr);
    }
    assert.equal(readFileSync(marker, 'utf8'), 'ran\n', 'the command ran once');
    assert.ok(existsSync(paths.exitCode));
    assert.equal(readFileSync(paths.exitCode, 'utf8'), '0\n');
  });
});
