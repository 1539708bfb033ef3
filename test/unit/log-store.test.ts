import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ValidationError } from '../../src/domain/errors';
import { LogStore, MAX_PARTIAL_LINE_BYTES, TAIL_CHUNK_BYTES, redactSecrets } from '../../src/logs';

const roots: string[] = [];
function tempLogsDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'flow-logstore-'));
  roots.push(root);
  return join(root, 'logs');
}
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** Polls `condition` until it holds; fails with `label` after `timeoutMs`. */
async function waitFor(condition: () => boolean, label: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Awaits `promise`, failing the test if it takes longer than `timeoutMs`. */
async function withDeadline<T>(promise: Promise<T>, label: string, timeoutMs = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${label}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A source that grows over time, read like a remote log from a byte offset. */
class GrowingSource {
  private data = Buffer.alloc(0);
  write(text: string): void {
    this.data = Buffer.concat([this.data, Buffer.from(text)]);
  }
  get bytes(): Buffer {
    return this.data;
  }
  readonly read = async (offset: number): Promise<Buffer> => this.data.subarray(offset);
}

function logText(store: LogStore, taskId: string, rank: number): string {
  return readFileSync(store.path(taskId, rank), 'utf8');
}

describe('LogStore.copyFrom', () => {
  test('resumes without duplicates as the source grows', async () => {
    const store = new LogStore(tempLogsDir());
    const source = new GrowingSource();
    const steps = ['alpha\n', 'beta\ngam', 'ma\n', '', 'delta\nepsilon\n', 'zeta'];
    let expectedWhole = '';
    for (const step of steps) {
      source.write(step);
      expectedWhole = source.bytes.toString().slice(0, source.bytes.lastIndexOf('\n') + 1);
      const result = await store.copyFrom('t1', 0, source.read);
      assert.equal(result.offset, Buffer.byteLength(expectedWhole));
      assert.equal(logText(store, 't1', 0), expectedWhole);
      // Calling again with nothing new appends nothing.
      assert.deepEqual(await store.copyFrom('t1', 0, source.read), { offset: result.offset, appended: 0 });
    }
    assert.equal(logText(store, 't1', 0), 'alpha\nbeta\ngamma\ndelta\nepsilon\n');
    const last = await store.copyFrom('t1', 0, source.read, { final: true });
    assert.deepEqual(last, { offset: source.bytes.length, appended: 4 });
    assert.equal(logText(store, 't1', 0), source.bytes.toString());
  });

  test('a fresh LogStore (restarted process) continues where the file ends', async () => {
    const dir = tempLogsDir();
    const source = new GrowingSource();
    source.write('one\ntwo\nthr');
    const first = new LogStore(dir);
    assert.deepEqual(await first.copyFrom('t2', 3, source.read), { offset: 8, appended: 8 });

    source.write('ee\nfour\n');
    const restarted = new LogStore(dir);
    assert.equal(await restarted.size('t2', 3), 8);
    assert.deepEqual(await restarted.copyFrom('t2', 3, source.read), { offset: 19, appended: 11 });
    assert.equal(logText(restarted, 't2', 3), 'one\ntwo\nthree\nfour\n');

    // The source offsets asked for are exactly the log's size, every time.
    const asked: number[] = [];
    const again = new LogStore(dir);
    await again.copyFrom('t2', 3, async (offset) => {
      asked.push(offset);
      return source.bytes.subarray(offset);
    });
    assert.deepEqual(asked, [19]);
    assert.equal(logText(again, 't2', 3), source.bytes.toString());
  });

  test('holds a partial line until its newline arrives; final flushes it', async () => {
    const store = new LogStore(tempLogsDir());
    const source = new GrowingSource();
    source.write('no newline yet');
    assert.deepEqual(await store.copyFrom('t3', 0, source.read), { offset: 0, appended: 0 });
    assert.equal(await store.size('t3', 0), 0);

    source.write(' ... now\nand a tail');
    assert.deepEqual(await store.copyFrom('t3', 0, source.read), { offset: 23, appended: 23 });
    assert.equal(logText(store, 't3', 0), 'no newline yet ... now\n');

    assert.deepEqual(await store.copyFrom('t3', 0, source.read, { final: true }), { offset: 33, appended: 10 });
    assert.equal(logText(store, 't3', 0), 'no newline yet ... now\nand a tail');
  });

  test('copies a newline-free chunk of 64 KiB or more so one endless line cannot stall', async () => {
    const store = new LogStore(tempLogsDir());
    const small = Buffer.alloc(MAX_PARTIAL_LINE_BYTES - 1, 'x');
    assert.equal((await store.copyFrom('t4', 0, async () => small)).appended, 0);
    const big = Buffer.alloc(MAX_PARTIAL_LINE_BYTES, 'y');
    assert.equal((await store.copyFrom('t4', 0, async () => big)).appended, MAX_PARTIAL_LINE_BYTES);
    assert.equal(await store.size('t4', 0), MAX_PARTIAL_LINE_BYTES);
  });

  test('concurrent copyFrom calls on one rank never duplicate or lose bytes', async () => {
    const dir = tempLogsDir();
    const stores = [new LogStore(dir), new LogStore(dir)];
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i} ${'.'.repeat(i % 17)}\n`);
    const source = Buffer.from(lines.join(''));
    // Each read returns at most ~3 lines' worth, after a random delay, so calls overlap.
    const read = async (offset: number): Promise<Buffer> => {
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 4)));
      return source.subarray(offset, offset + 60);
    };
    for (let round = 0; round < 10 && (await stores[0]!.size('t5', 1)) < source.length; round++) {
      await Promise.all(Array.from({ length: 40 }, (_, i) => stores[i % 2]!.copyFrom('t5', 1, read)));
    }
    while ((await stores[0]!.size('t5', 1)) < source.length) await stores[0]!.copyFrom('t5', 1, read);
    assert.equal(readFileSync(stores[0]!.path('t5', 1)).toString(), source.toString());
  });

  test('redacts secrets with a fixed mask and keeps offsets in source bytes', async () => {
    const store = new LogStore(tempLogsDir());
    const source = new GrowingSource();
    source.write('token=hf_SECRET1 and again hf_SECRET1!\nkey=abc\npässwörd-x\n');
    const result = await store.copyFrom('t6', 0, source.read, { secrets: ['hf_SECRET1', 'abc', 'pässwörd'] });
    assert.equal(result.offset, source.bytes.length);
    assert.equal(await store.consumed('t6', 0), source.bytes.length);
    assert.equal(readFileSync(store.path('t6', 0)).toString(), `token=****** and again ******!\nkey=abc\n******-x\n`);
    source.write('more hf_SECRET1\n');
    assert.equal((await store.copyFrom('t6', 0, source.read, { secrets: ['hf_SECRET1'] })).offset, source.bytes.length);
    assert.match(logText(store, 't6', 0), /\nmore \*{6}\n$/);
  });
});

describe('redactSecrets', () => {
  test('masks every occurrence, ignores secrets shorter than 4 bytes, never mutates its input', () => {
    const input = Buffer.from('a=longsecret b=longsecret c=xyz');
    const out = redactSecrets(input, ['longsecret', 'xyz', '']);
    assert.equal(out.toString(), 'a=****** b=****** c=xyz');
    assert.equal(input.toString(), 'a=longsecret b=longsecret c=xyz');
  });

  test('masks overlapping and nested secrets whole', () => {
    assert.equal(redactSecrets(Buffer.from('[abcdabcd]'), ['abcd']).toString(), '[******]');
    assert.equal(redactSecrets(Buffer.from('x secret-long y'), ['secret', 'secret-long']).toString(), 'x ****** y');
    assert.equal(redactSecrets(Buffer.from('nothing here'), ['secret']).toString(), 'nothing here');
  });
});

describe('LogStore.append/read/size/ranks', () => {
  test('append redacts and keeps order; read pages by offset', async () => {
    const store = new LogStore(tempLogsDir());
    assert.equal(await store.size('t7', 0), 0);
    assert.deepEqual(await store.read('t7', 0), { data: Buffer.alloc(0), nextOffset: 0 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.append('t7', 0, `${i} pw=hunter22\n`, ['hunter22'])));
    const expected = Array.from({ length: 50 }, (_, i) => `${i} pw=******\n`).join('');
    assert.equal(logText(store, 't7', 0), expected);

    const first = await store.read('t7', 0, 0, 10);
    assert.equal(first.data.toString(), expected.slice(0, 10));
    assert.equal(first.nextOffset, 10);
    const rest = await store.read('t7', 0, first.nextOffset);
    assert.equal(rest.data.toString(), expected.slice(10));
    assert.equal(rest.nextOffset, expected.length);
    assert.deepEqual(await store.read('t7', 0, rest.nextOffset), { data: Buffer.alloc(0), nextOffset: expected.length });
  });

  test('creates the directory 0700 and files 0600', async () => {
    const dir = tempLogsDir();
    const store = new LogStore(dir);
    await store.append('t8', 2, 'x\n');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 't8')).mode & 0o777, 0o700);
    assert.equal(statSync(store.path('t8', 2)).mode & 0o777, 0o600);
    assert.equal(store.path('t8', 2), join(dir, 't8', '2.log'));
  });

  test('ranks lists ranks with a log file, sorted numerically', async () => {
    const store = new LogStore(tempLogsDir());
    assert.deepEqual(await store.ranks('t9'), []);
    for (const rank of [10, 2, 0, 1]) await store.append('t9', rank, `rank ${rank}\n`);
    writeFileSync(join(store.logsDir, 't9', 'notes.txt'), 'ignored');
    assert.deepEqual(await store.ranks('t9'), [0, 1, 2, 10]);
  });

  test('rejects task ids and ranks that would escape the logs directory', () => {
    const store = new LogStore(tempLogsDir());
    for (const taskId of ['..', '../x', 'a/b', '', '.hidden']) {
      assert.throws(() => store.path(taskId, 0), ValidationError, taskId);
    }
    for (const rank of [-1, 1.5, Number.NaN]) assert.throws(() => store.path('ok', rank), ValidationError);
  });
});

describe('LogStore.tail', () => {
  function naiveTail(text: string, n: number): string[] {
    if (text === '') return [];
    const lines = (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
    return n > 0 ? lines.slice(-n) : [];
  }

  test('returns the last N lines of a file larger than the backwards chunk size', async () => {
    const store = new LogStore(tempLogsDir());
    const lines = Array.from({ length: 6000 }, (_, i) => `line ${String(i).padStart(5, '0')} ${'#'.repeat(40)}`);
    await store.append('t10', 0, lines.join('\n') + '\n');
    assert.ok((await store.size('t10', 0)) > 3 * TAIL_CHUNK_BYTES);
    assert.deepEqual(await store.tail('t10', 0, 3), lines.slice(-3));
    assert.deepEqual(await store.tail('t10', 0, 2500), lines.slice(-2500));
    assert.deepEqual(await store.tail('t10', 0, 10_000), lines);
    assert.deepEqual(await store.tail('t10', 0, 0), []);
    assert.deepEqual(await store.tail('missing', 0, 5), []);
  });

  test('agrees with a naive split for tiny chunks, empty lines and a missing final newline', async () => {
    const dir = tempLogsDir();
    const small = new LogStore(dir, { tailChunkBytes: 3 });
    const samples = ['a', 'a\n', '\n', '\n\n', 'one\n\nthree', 'one\ntwo\nthree\n', 'x\ny\n\n', 'héllo\nwörld\nü'];
    for (const [index, text] of samples.entries()) {
      await small.append(`s${index}`, 0, text);
      for (const n of [1, 2, 3, 5]) {
        assert.deepEqual(await small.tail(`s${index}`, 0, n), naiveTail(text, n), `${JSON.stringify(text)} n=${n}`);
      }
    }
  });
});

describe('LogStore.follow', () => {
  test('yields lines appended while it runs and ends after isDone, including a last line without newline', async () => {
    const store = new LogStore(tempLogsDir());
    let done = false;
    const seen: string[] = [];
    const consumer = (async () => {
      for await (const line of store.follow('t11', 0, { isDone: async () => done, pollMs: 20 })) seen.push(line);
    })();

    // The file does not exist yet when following starts.
    await store.append('t11', 0, 'one\n');
    await waitFor(() => seen.length === 1, 'first line');
    await store.append('t11', 0, 'two\nthr');
    await waitFor(() => seen.length === 2, 'second line');
    // The partial "thr" was held back: it arrives joined with the rest of its line.
    await store.append('t11', 0, 'ee\nfour\n');
    await waitFor(() => seen.length === 4, 'fourth line');
    await store.append('t11', 0, 'five\nlast line without newline');
    done = true;
    await withDeadline(consumer, 'follow to end after isDone');
    assert.deepEqual(seen, ['one', 'two', 'three', 'four', 'five', 'last line without newline']);
  });

  test('drains what was written before done even when done is already true', async () => {
    const store = new LogStore(tempLogsDir());
    await store.append('t12', 0, 'a\nb\nc');
    const seen: string[] = [];
    for await (const line of store.follow('t12', 0, { isDone: async () => true, pollMs: 10_000 })) seen.push(line);
    assert.deepEqual(seen, ['a', 'b', 'c']);

    const fromOffset: string[] = [];
    for await (const line of store.follow('t12', 0, { fromOffset: 2, isDone: async () => true })) fromOffset.push(line);
    assert.deepEqual(fromOffset, ['b', 'c']);
  });

  test('a line written between two isDone checks is not lost', async () => {
    const store = new LogStore(tempLogsDir());
    let checks = 0;
    const seen: string[] = [];
    // The line is appended from inside isDone, right as it starts reporting done.
    const isDone = async () => {
      checks += 1;
      if (checks === 3) {
        await store.append('t13', 0, 'written at the last moment');
        return true;
      }
      return false;
    };
    await withDeadline(
      (async () => {
        for await (const line of store.follow('t13', 0, { isDone, pollMs: 5 })) seen.push(line);
      })(),
      'follow with late line',
    );
    assert.deepEqual(seen, ['written at the last moment']);
  });

  test('stops early when the signal aborts', async () => {
    const store = new LogStore(tempLogsDir());
    await store.append('t14', 0, 'x\n');
    const controller = new AbortController();
    const seen: string[] = [];
    const consumer = (async () => {
      for await (const line of store.follow('t14', 0, { isDone: async () => false, pollMs: 60_000, signal: controller.signal })) {
        seen.push(line);
      }
    })();
    await waitFor(() => seen.length === 1, 'first line before abort');
    controller.abort();
    await withDeadline(consumer, 'follow to stop after abort');
    assert.deepEqual(seen, ['x']);
  });

  test('wakes on file changes without waiting for a long poll', async () => {
    const dir = tempLogsDir();
    mkdirSync(join(dir, 't15'), { recursive: true });
    const store = new LogStore(dir);
    await store.append('t15', 0, 'start\n');
    let done = false;
    const seen: string[] = [];
    // A 60 s poll: only fs.watch can deliver the second line within the deadline below.
    const consumer = (async () => {
      for await (const line of store.follow('t15', 0, { isDone: async () => done, pollMs: 60_000 })) seen.push(line);
    })();
    await waitFor(() => seen.length === 1, 'start line');
    await store.append('t15', 0, 'woken\n');
    await waitFor(() => seen.length === 2, 'line delivered by fs.watch', 5000);
    done = true;
    await store.append('t15', 0, 'bye\n');
    await withDeadline(consumer, 'follow to end');
    assert.deepEqual(seen, ['start', 'woken', 'bye']);
  });
});

describe('LogStore.offsetSince', () => {
  test('finds the first bytes appended at or after a time; the size when nothing since; 0 without an index', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flow-logs-since-'));
    try {
      const store = new LogStore(dir);
      await store.append('t1', 0, 'early\n');
      const between = Date.now() + 1;
      await waitFor(() => Date.now() > between, 'the clock moved on');
      await store.copyFrom('t1', 0, async (offset) => Buffer.from('early\nlate\n').subarray(offset));
      assert.equal(await store.offsetSince('t1', 0, 0), 0);
      assert.equal(await store.offsetSince('t1', 0, between), 'early\n'.length);
      assert.equal(await store.offsetSince('t1', 0, Date.now() + 60_000), 'early\nlate\n'.length);
      assert.equal(await store.offsetSince('t2', 0, between), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
