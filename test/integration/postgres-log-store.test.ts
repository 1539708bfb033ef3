import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { PostgresLogStore } from '../../src/logs/postgres-log-store';
import type { TaskLogStore } from '../../src/logs/task-log-store';
import { GrowingSource, logStoreContract, logText, withDeadline } from '../helpers/log-store-contract';
import { startPostgres, type TestPostgres } from '../helpers/postgres';
import { rejectionOf } from '../helpers/rejection';

let pg: TestPostgres;
const open: TaskLogStore[] = [];
function store(options?: ConstructorParameters<typeof PostgresLogStore>[1]): PostgresLogStore {
  const created = new PostgresLogStore(pg.url, options);
  open.push(created);
  return created;
}
async function closeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((logs) => logs.close()));
}

before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await closeAll();
  await pg?.stop();
});

// Each test gets empty tables; the stores of the last test are closed first (and so are not
// left holding connections), and the next store recreates the schema at first use.
logStoreContract('PostgresLogStore', async () => {
  await closeAll();
  const admin = new Client({ connectionString: pg.url });
  await admin.connect();
  try {
    await admin.query('DROP TABLE IF EXISTS flow_log_chunks, flow_log_runs');
  } finally {
    await admin.end();
  }
  return { open: (options) => store(options) };
});

const CHILD = join(__dirname, '..', 'helpers', 'pg-append-child.js');

/** Runs pg-append-child in its own process; resolves when it exits 0. */
function appender(taskId: string, writer: string, lines: number, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, pg.url, taskId, writer, String(lines), String(delayMs)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`appender ${writer} exited ${code}: ${stderr}`))));
  });
}

describe('PostgresLogStore across processes', { timeout: 120_000 }, () => {
  test('two processes appending to one rank at once: each writer keeps its order, nothing repeats', async () => {
    await withDeadline(Promise.all([appender('shared', 'a', 150, 0), appender('shared', 'b', 150, 0)]), 'both appenders', 60_000);
    const lines = (await logText(store(), 'shared', 0)).trimEnd().split('\n');
    assert.equal(lines.length, 300);
    for (const writer of ['a', 'b']) {
      const indexes = lines.filter((line) => line.startsWith(`${writer} `)).map((line) => Number(line.split(' ')[1]));
      assert.deepEqual(indexes, Array.from({ length: 150 }, (_, i) => i), `writer ${writer}'s lines in order, once each`);
    }
  });

  test('copyFrom retried after a crash (a new store, as on another worker) repeats nothing', async () => {
    const source = new GrowingSource();
    source.write('one\ntwo\n');
    const first = store();
    assert.deepEqual(await first.copyFrom('crash', 0, source.read), { offset: 8, appended: 8 });
    source.write('three\nfour\n');
    // The worker dies after reading the source, before its chunk is stored.
    const crashed = await rejectionOf(first.copyFrom('crash', 0, async (offset) => {
      await source.read(offset);
      throw new Error('worker killed');
    }));
    assert.match(String(crashed), /worker killed/);
    await first.close();
    const retried = store();
    assert.equal(await retried.consumed('crash', 0), 8);
    assert.deepEqual(await retried.copyFrom('crash', 0, source.read, { final: true }), { offset: 19, appended: 11 });
    // A second retry (the activity ran again after it had stored everything) adds nothing.
    assert.deepEqual(await store().copyFrom('crash', 0, source.read, { final: true }), { offset: 19, appended: 0 });
    assert.equal(await logText(retried, 'crash', 0), 'one\ntwo\nthree\nfour\n');
  });

  test('follow sees lines another process appends, woken by NOTIFY (p95 latency over 200 lines)', async () => {
    const follower = store();
    const latencies: number[] = [];
    const seen: string[] = [];
    let done = false;
    // A 60 s poll: only NOTIFY can deliver the lines in time.
    const following = (async () => {
      for await (const line of follower.follow('live', 0, { isDone: async () => done, pollMs: 60_000 })) {
        latencies.push(Date.now() - Number(line.split(' ')[2]));
        seen.push(line);
      }
    })();
    await withDeadline(appender('live', 'w', 200, 5), 'appender of 200 lines', 60_000);
    await withDeadline((async () => {
      while (seen.length < 200) await new Promise((resolve) => setTimeout(resolve, 10));
    })(), 'the follower to see 200 lines', 10_000);
    done = true;
    await follower.append('live', 0, `w end ${Date.now()}\n`);
    await withDeadline(following, 'follow to end');
    assert.deepEqual(seen.slice(0, 200).map((line) => Number(line.split(' ')[1])), Array.from({ length: 200 }, (_, i) => i));
    const sorted = latencies.slice(0, 200).sort((a, b) => a - b);
    const p95 = sorted[Math.ceil(sorted.length * 0.95) - 1]!;
    process.stdout.write(`# PostgreSQL follow latency over 200 lines: p50 ${sorted[99]} ms, p95 ${p95} ms, max ${sorted[199]} ms\n`);
    assert.ok(p95 <= 100, `p95 follow latency ${p95} ms should be at most 100 ms`);
  });

  test('errors name the store without its password', async () => {
    const wrong = new URL(pg.url);
    wrong.password = 'not-the-password-1234';
    const logs = new PostgresLogStore(wrong.toString());
    try {
      const error = await rejectionOf(logs.size('t', 0));
      const text = `${String(error)} ${JSON.stringify(error)}`;
      assert.match(text, /PostgreSQL log store postgres:\/\/flow:/);
      assert.match(text, /password authentication failed/);
      assert.ok(!text.includes('not-the-password-1234') && !text.includes(pg.password), text);
    } finally {
      await logs.close();
    }
  });
});
