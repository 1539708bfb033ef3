import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { LineClock } from '../../src/logs/line-times';
import { LogStore } from '../../src/logs/log-store';
import { selectPlacedLines } from '../../src/logs/select-lines';
import { collect } from '../helpers/collect';
import { waitFor } from '../helpers/wait-for';

const root = mkdtempSync(join(tmpdir(), 'flow-line-times-'));
after(() => rmSync(root, { recursive: true, force: true }));
const logs = new LogStore(root);

/** Appends `text` at a clock reading later than every earlier append's. */
async function appendLater(taskId: string, text: string): Promise<number> {
  const before = Date.now();
  await waitFor(() => Date.now() > before, { intervalMs: 1 });
  const at = Date.now();
  await logs.append(taskId, 0, text);
  return at;
}

describe('lines with their offsets and times (logs --json)', () => {
  test('offsets are where each line starts, read forwards or as a tail (with or without a last newline)', async () => {
    await logs.append('placed', 0, 'a\nbé\n\nlast');
    const whole = await collect(selectPlacedLines(logs, 'placed', 0, {}));
    assert.deepEqual(whole, [
      { line: 'a', offset: 0 },
      { line: 'bé', offset: 2 },
      { line: '', offset: 6 },
      { line: 'last', offset: 7 },
    ]);
    assert.deepEqual(await collect(selectPlacedLines(logs, 'placed', 0, { tail: 3 })), whole.slice(1));
    await logs.append('placed', 0, '\n');
    assert.deepEqual(await collect(selectPlacedLines(logs, 'placed', 0, { tail: 2 })), whole.slice(2));
    assert.deepEqual(await collect(selectPlacedLines(logs, 'placed', 0, { keep: (line) => line.length > 1 })), [whole[1], whole[3]]);
  });

  test('each line gets the time of the append that stored it, also for appends after the first look', async () => {
    const first = await appendLater('clock', 'one\ntwo\n');
    const clock = new LineClock(logs, 'clock', 0);
    const firstTime = await clock.timeAt(0);
    assert.ok(firstTime !== undefined && firstTime >= first && firstTime <= Date.now());
    assert.equal(await clock.timeAt(4), firstTime, 'same append, same time');
    const second = await appendLater('clock', 'three\n');
    const secondTime = await clock.timeAt(8);
    assert.ok(secondTime !== undefined && secondTime >= second && secondTime > firstTime, `${secondTime} after ${firstTime}`);
  });

  test('a log without a time index has no times', async () => {
    assert.equal(await new LineClock(logs, 'nothing-here', 0).timeAt(0), undefined);
  });
});
