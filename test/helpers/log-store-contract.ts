import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_PARTIAL_LINE_BYTES, TAIL_CHUNK_BYTES, type LogStoreOptions } from '../../src/logs/log-store';
import type { TaskLogStore } from '../../src/logs/task-log-store';
import { waitFor } from './wait-for';

/** One empty log storage; open() gives a new store on it (a restarted process). */
export interface StoreLocation {
  open(options?: LogStoreOptions): TaskLogStore;
}

/** Awaits `promise`, failing the test if it takes longer than `timeoutMs`. */
export async function withDeadline<T>(promise: Promise<T>, label: string, timeoutMs = 5000): Promise<T> {
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
export class GrowingSource {
  private data = Buffer.alloc(0);
  write(text: string): void {
    this.data = Buffer.concat([this.data, Buffer.from(text)]);
  }
  get bytes(): Buffer {
    return this.data;
  }
  readonly read = async (offset: number): Promise<Buffer> => this.data.subarray(offset);
}

export async function logText(store: TaskLogStore, taskId: string, rank: number): Promise<string> {
  return (await store.read(taskId, rank, 0, 64 << 20)).data.toString('utf8');
}

const until = (condition: () => boolean, message: string, timeoutMs = 5000) => waitFor(condition, { message, timeoutMs, intervalMs: 5 });

/** The behaviour every TaskLogStore backend shares, run against one (files, PostgreSQL). */
export function logStoreContract(name: string, fresh: () => Promise<StoreLocation>): void {
  const store = async (options?: LogStoreOptions) => (await fresh()).open(options);

  describe(`${name}: copyFrom`, () => {
    test('resumes without duplicates as the source grows; final flushes the partial line', async () => {
      const logs = await store();
      const source = new GrowingSource();
      for (const step of ['alpha\n', 'beta\ngam', 'ma\n', '', 'delta\nepsilon\n', 'zeta']) {
        source.write(step);
        const whole = source.bytes.toString().slice(0, source.bytes.lastIndexOf('\n') + 1);
        const result = await logs.copyFrom('t1', 0, source.read);
        assert.equal(result.offset, Buffer.byteLength(whole));
        assert.equal(await logText(logs, 't1', 0), whole);
        assert.deepEqual(await logs.copyFrom('t1', 0, source.read), { offset: result.offset, appended: 0 });
      }
      assert.deepEqual(await logs.copyFrom('t1', 0, source.read, { final: true }), { offset: source.bytes.length, appended: 4 });
      assert.equal(await logText(logs, 't1', 0), source.bytes.toString());
    });

    test('a new store (restarted process) resumes at the consumed offset', async () => {
      const location = await fresh();
      const source = new GrowingSource();
      source.write('one\ntwo\nthr');
      assert.deepEqual(await location.open().copyFrom('t2', 3, source.read), { offset: 8, appended: 8 });
      source.write('ee\nfour\n');
      const restarted = location.open();
      assert.equal(await restarted.size('t2', 3), 8);
      assert.deepEqual(await restarted.copyFrom('t2', 3, source.read), { offset: 19, appended: 11 });
      const asked: number[] = [];
      await location.open().copyFrom('t2', 3, async (offset) => {
        asked.push(offset);
        return source.bytes.subarray(offset);
      });
      assert.deepEqual(asked, [19]);
      assert.equal(await logText(restarted, 't2', 3), 'one\ntwo\nthree\nfour\n');
    });

    test('copies a newline-free chunk of 64 KiB or more so one endless line cannot stall', async () => {
      const logs = await store();
      assert.equal((await logs.copyFrom('t4', 0, async () => Buffer.alloc(MAX_PARTIAL_LINE_BYTES - 1, 'x'))).appended, 0);
      assert.equal((await logs.copyFrom('t4', 0, async () => Buffer.alloc(MAX_PARTIAL_LINE_BYTES, 'y'))).appended, MAX_PARTIAL_LINE_BYTES);
      assert.equal(await logs.size('t4', 0), MAX_PARTIAL_LINE_BYTES);
    });

    test('concurrent copyFrom calls from two stores never duplicate or lose bytes', async () => {
      const location = await fresh();
      const stores = [location.open(), location.open()];
      const source = Buffer.from(Array.from({ length: 200 }, (_, i) => `line ${i} ${'.'.repeat(i % 17)}\n`).join(''));
      // At most ~3 lines per read, after a random delay, so calls overlap.
      const read = async (offset: number): Promise<Buffer> => {
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 4)));
        return source.subarray(offset, offset + 60);
      };
      for (let round = 0; round < 10 && (await stores[0]!.size('t5', 1)) < source.length; round++) {
        await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 2]!.copyFrom('t5', 1, read)));
      }
      while ((await stores[0]!.size('t5', 1)) < source.length) await stores[0]!.copyFrom('t5', 1, read);
      assert.equal(await logText(stores[1]!, 't5', 1), source.toString());
    });

    test('redacts secrets with a fixed mask and keeps offsets in source bytes', async () => {
      const logs = await store({ secrets: ['worker-key-123'] });
      const source = new GrowingSource();
      source.write('token=hf_SECRET1 and again hf_SECRET1!\nkey=abc\npässwörd-x worker-key-123\n');
      const result = await logs.copyFrom('t6', 0, source.read, { secrets: ['hf_SECRET1', 'abc', 'pässwörd'] });
      assert.equal(result.offset, source.bytes.length);
      assert.equal(await logs.consumed('t6', 0), source.bytes.length);
      assert.equal(await logText(logs, 't6', 0), `token=****** and again ******!\nkey=abc\n******-x ******\n`);
    });
  });

  describe(`${name}: append/read/size/ranks`, () => {
    test('append redacts and keeps order; read pages by offset', async () => {
      const logs = await store();
      assert.equal(await logs.size('t7', 0), 0);
      assert.deepEqual(await logs.read('t7', 0), { data: Buffer.alloc(0), nextOffset: 0 });
      await Promise.all(Array.from({ length: 50 }, (_, i) => logs.append('t7', 0, `${i} pw=hunter22\n`, ['hunter22'])));
      const lines = (await logText(logs, 't7', 0)).split('\n');
      assert.deepEqual(new Set(lines.slice(0, -1)), new Set(Array.from({ length: 50 }, (_, i) => `${i} pw=******`)));
      const expected = await logText(logs, 't7', 0);
      const first = await logs.read('t7', 0, 0, 10);
      assert.deepEqual([first.data.toString(), first.nextOffset], [expected.slice(0, 10), 10]);
      const rest = await logs.read('t7', 0, 7, 1 << 20);
      assert.deepEqual([rest.data.toString(), rest.nextOffset], [expected.slice(7), expected.length]);
      assert.deepEqual(await logs.read('t7', 0, expected.length), { data: Buffer.alloc(0), nextOffset: expected.length });
    });

    test('ranks lists ranks with a log, sorted numerically', async () => {
      const logs = await store();
      assert.deepEqual(await logs.ranks('t9'), []);
      for (const rank of [10, 2, 0, 1]) await logs.append('t9', rank, `rank ${rank}\n`);
      assert.deepEqual(await logs.ranks('t9'), [0, 1, 2, 10]);
    });

    test('claimRun moves another run\'s logs aside and is idempotent', async () => {
      const logs = await store();
      await logs.claimRun('t16', 'run-a');
      await logs.append('t16', 0, 'from a\n');
      await logs.claimRun('t16', 'run-a');
      assert.equal(await logText(logs, 't16', 0), 'from a\n');
      await logs.claimRun('t16', 'run-b');
      assert.equal(await logs.size('t16', 0), 0);
      assert.deepEqual(await logs.ranks('t16'), []);
    });
  });

  describe(`${name}: tail`, () => {
    const naiveTail = (text: string, n: number): string[] => (text === '' || n <= 0 ? [] : (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n').slice(-n));

    test('returns the last N lines of a log larger than the backwards chunk size', async () => {
      const logs = await store();
      const lines = Array.from({ length: 6000 }, (_, i) => `line ${String(i).padStart(5, '0')} ${'#'.repeat(40)}`);
      // Several appends, so a backend that stores chunks is read across them.
      for (let at = 0; at < lines.length; at += 1000) await logs.append('t10', 0, lines.slice(at, at + 1000).join('\n') + '\n');
      assert.ok((await logs.size('t10', 0)) > 3 * TAIL_CHUNK_BYTES);
      assert.deepEqual(await logs.tail('t10', 0, 3), lines.slice(-3));
      assert.deepEqual(await logs.tail('t10', 0, 2500), lines.slice(-2500));
      assert.deepEqual(await logs.tail('t10', 0, 10_000), lines);
      assert.deepEqual(await logs.tail('t10', 0, 0), []);
      assert.deepEqual(await logs.tail('missing', 0, 5), []);
    });

    test('agrees with a naive split for tiny chunks, empty lines and a missing final newline', async () => {
      const small = await store({ tailChunkBytes: 3 });
      const samples = ['a', 'a\n', '\n', '\n\n', 'one\n\nthree', 'one\ntwo\nthree\n', 'x\ny\n\n', 'héllo\nwörld\nü'];
      for (const [index, text] of samples.entries()) {
        await small.append(`s${index}`, 0, text);
        for (const n of [1, 2, 3, 5]) assert.deepEqual(await small.tail(`s${index}`, 0, n), naiveTail(text, n), `${JSON.stringify(text)} n=${n}`);
      }
    });
  });

  describe(`${name}: follow`, () => {
    test('yields lines appended while it runs and ends after isDone, including a last line without newline', async () => {
      const logs = await store();
      let done = false;
      const seen: string[] = [];
      const consumer = (async () => {
        for await (const line of logs.follow('t11', 0, { isDone: async () => done, pollMs: 20 })) seen.push(line);
      })();
      await logs.append('t11', 0, 'one\n');
      await until(() => seen.length === 1, 'first line');
      await logs.append('t11', 0, 'two\nthr');
      await until(() => seen.length === 2, 'second line');
      await logs.append('t11', 0, 'ee\nfour\n');
      await until(() => seen.length === 4, 'fourth line');
      await logs.append('t11', 0, 'five\nlast line without newline');
      done = true;
      await withDeadline(consumer, 'follow to end after isDone');
      assert.deepEqual(seen, ['one', 'two', 'three', 'four', 'five', 'last line without newline']);
    });

    test('drains what was written before done, from an offset too', async () => {
      const logs = await store();
      await logs.append('t12', 0, 'a\nb\nc');
      const seen: string[] = [];
      for await (const line of logs.follow('t12', 0, { isDone: async () => true, pollMs: 10_000 })) seen.push(line);
      assert.deepEqual(seen, ['a', 'b', 'c']);
      const fromOffset: string[] = [];
      for await (const line of logs.follow('t12', 0, { fromOffset: 2, isDone: async () => true })) fromOffset.push(line);
      assert.deepEqual(fromOffset, ['b', 'c']);
    });

    test('a line written between two isDone checks is not lost', async () => {
      const logs = await store();
      let checks = 0;
      const seen: string[] = [];
      const isDone = async () => {
        checks += 1;
        if (checks !== 3) return false;
        await logs.append('t13', 0, 'written at the last moment');
        return true;
      };
      await withDeadline((async () => {
        for await (const line of logs.follow('t13', 0, { isDone, pollMs: 5 })) seen.push(line);
      })(), 'follow with late line');
      assert.deepEqual(seen, ['written at the last moment']);
    });

    test('stops early when the signal aborts', async () => {
      const logs = await store();
      await logs.append('t14', 0, 'x\n');
      const controller = new AbortController();
      const seen: string[] = [];
      const consumer = (async () => {
        for await (const line of logs.follow('t14', 0, { isDone: async () => false, pollMs: 60_000, signal: controller.signal })) seen.push(line);
      })();
      await until(() => seen.length === 1, 'first line before abort');
      controller.abort();
      await withDeadline(consumer, 'follow to stop after abort');
      assert.deepEqual(seen, ['x']);
    });

    test('wakes on a change without waiting for a long poll', async () => {
      const logs = await store();
      await logs.append('t15', 0, 'start\n');
      let done = false;
      const seen: string[] = [];
      // A 60 s poll: only the change watch can deliver the next line within the deadline.
      const consumer = (async () => {
        for await (const line of logs.follow('t15', 0, { isDone: async () => done, pollMs: 60_000 })) seen.push(line);
      })();
      await until(() => seen.length === 1, 'start line');
      await logs.append('t15', 0, 'woken\n');
      await until(() => seen.length === 2, 'line delivered by the change watch');
      done = true;
      await logs.append('t15', 0, 'bye\n');
      await withDeadline(consumer, 'follow to end');
      assert.deepEqual(seen, ['start', 'woken', 'bye']);
    });
  });

  describe(`${name}: offsetSince and appendTimes`, () => {
    test('finds the first bytes appended at or after a time; the size when nothing since; 0 without a log', async () => {
      const logs = await store();
      await logs.append('t1', 0, 'early\n');
      const between = Date.now() + 1;
      await until(() => Date.now() > between, 'the clock moved on');
      await logs.copyFrom('t1', 0, async (offset) => Buffer.from('early\nlate\n').subarray(offset));
      assert.equal(await logs.offsetSince('t1', 0, 0), 0);
      assert.equal(await logs.offsetSince('t1', 0, between), 'early\n'.length);
      assert.equal(await logs.offsetSince('t1', 0, Date.now() + 60_000), 'early\nlate\n'.length);
      assert.equal(await logs.offsetSince('t2', 0, between), 0);
      const { entries, nextByte } = await logs.appendTimes('t1', 0);
      assert.deepEqual(entries.map((entry) => entry.offset), [0, 'early\n'.length]);
      assert.ok(entries[1]!.atMs >= between);
      assert.deepEqual((await logs.appendTimes('t1', 0, nextByte)).entries, []);
    });
  });
}
