import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { LogStore } from '../../src/logs/log-store';
import { mergeArriving } from '../../src/logs/merge-lines';
import { followSelected, selectLines } from '../../src/logs/select-lines';
import { collect } from '../helpers/collect';
import { waitFor } from '../helpers/wait-for';

const root = mkdtempSync(join(tmpdir(), 'flow-select-lines-'));
after(() => rmSync(root, { recursive: true, force: true }));
const logs = new LogStore(root);

describe('selectLines / followSelected', () => {
  test('grep first, then tail: the last N matching lines', async () => {
    await logs.append('grep', 0, 'alpha\nbeta-1\ngamma\nbeta-2\ndelta\n');
    const keep = (line: string) => line.startsWith('beta');
    assert.deepEqual(await collect(selectLines(logs, 'grep', 0, { tail: 2, keep })), ['beta-1', 'beta-2']);
    assert.deepEqual(await collect(selectLines(logs, 'grep', 0, { tail: 1, keep })), ['beta-2']);
    assert.deepEqual(await collect(selectLines(logs, 'grep', 0, { tail: 2 })), ['beta-2', 'delta']);
    assert.deepEqual(await collect(selectLines(logs, 'grep', 0, {})), ['alpha', 'beta-1', 'gamma', 'beta-2', 'delta']);
  });

  test('stops at `end`, for a tail and for a whole read alike', async () => {
    await logs.append('bounded', 0, 'one\ntwo\n');
    const end = await logs.size('bounded', 0);
    await logs.append('bounded', 0, 'three\n');
    assert.deepEqual(await collect(selectLines(logs, 'bounded', 0, { tail: 1 }, end)), ['two']);
    assert.deepEqual(await collect(selectLines(logs, 'bounded', 0, {}, end)), ['one', 'two']);
  });

  test('since: from the first append at or after the time, tail and grep applied after', async () => {
    await logs.append('since', 0, 'early\n');
    await waitFor(async () => (await logs.offsetSince('since', 0, Date.now())) === (await logs.size('since', 0)), { message: 'a later millisecond' });
    const between = Date.now();
    await logs.append('since', 0, 'late-1\nlate-2\n');
    assert.deepEqual(await collect(selectLines(logs, 'since', 0, { sinceMs: between })), ['late-1', 'late-2']);
    assert.deepEqual(await collect(selectLines(logs, 'since', 0, { sinceMs: between, tail: 1 })), ['late-2']);
    assert.deepEqual(await collect(selectLines(logs, 'since', 0, { sinceMs: between, keep: (line) => line.endsWith('1') })), ['late-1']);
  });

  test('followSelected: the selection of what is there, then new matching lines until the end', async () => {
    await logs.append('follow', 0, 'err-1\nok-1\nerr-2\nok-2\n');
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const lines: string[] = [];
    const following = (async () => {
      for await (const line of followSelected(logs, 'follow', 0, ended, { tail: 1, keep: (line) => line.startsWith('err') })) lines.push(line);
    })();
    await waitFor(() => lines.includes('err-2'), { timeoutMs: 5000, message: 'the selected line' });
    await logs.append('follow', 0, 'ok-3\nerr-3\n');
    end();
    await following;
    assert.deepEqual(lines, ['err-2', 'err-3']);
  });
});

describe('mergeArriving', () => {
  test('yields from streams that arrive while others are being read, until all have ended', async () => {
    async function* stream(name: string, count: number) {
      for (let i = 1; i <= count; i += 1) yield `${name}${i}`;
    }
    async function* arriving() {
      yield stream('a', 2);
      yield stream('b', 3);
    }
    const merged: string[] = await collect(mergeArriving(arriving()));
    assert.deepEqual([...merged].sort(), ['a1', 'a2', 'b1', 'b2', 'b3']);
    assert.deepEqual(merged.filter((line) => line.startsWith('b')), ['b1', 'b2', 'b3'], 'each stream keeps its order');
  });
});
