import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { LogStore, MASK, matchIntervals, redactSecrets, secretNeedles } from '../../src/logs';

const roots: string[] = [];
function store(): LogStore {
  const root = mkdtempSync(join(tmpdir(), 'flow-redact-'));
  roots.push(root);
  return new LogStore(join(root, 'logs'));
}
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** Copies `source` the way followCommand does, reading at most `chunk` bytes per read, then drains it. */
async function copyAll(logs: LogStore, source: Buffer, chunk: number, secrets: string[], liveSteps = 0): Promise<string> {
  const read = async (offset: number) => source.subarray(offset, offset + chunk);
  for (let step = 0; step < liveSteps; step += 1) await logs.copyFrom('t', 0, read, { secrets });
  let copied;
  do copied = await logs.copyFrom('t', 0, read, { secrets, final: true });
  while (copied.appended > 0);
  assert.equal(await logs.consumed('t', 0), source.length, 'every source byte is consumed');
  return readFileSync(logs.path('t', 0), 'latin1');
}

const MiB = 1 << 20;

describe('streamed redaction', () => {
  test('a secret straddling a newline-less 1 MiB chunk boundary is masked', async () => {
    const secret = 'sk-straddle-0123456789';
    const source = Buffer.concat([Buffer.alloc(MiB - 7, 'x'), Buffer.from(secret), Buffer.alloc(MiB, 'y')]);
    const text = await copyAll(store(), source, MiB, [secret], 4);
    assert.equal(text, `${'x'.repeat(MiB - 7)}${MASK}${'y'.repeat(MiB)}`);
  });

  test('with 1-byte reads, live and at the end, the secret is still masked whole', async () => {
    const secret = 'hunter2-very-secret';
    const source = Buffer.from(`before ${secret} middle ${secret}`);
    const logs = store();
    const text = await copyAll(logs, source, 1, [secret], 200);
    assert.equal(text, `before ${MASK} middle ${MASK}`);
  });

  test('overlapping secrets are masked as their union, with one fixed-length mask', async () => {
    const text = await copyAll(store(), Buffer.from('a=ABCDEFGH z\n'), 3, ['ABCDEF', 'DEFGH']);
    assert.equal(text, `a=${MASK} z\n`);
    assert.deepEqual(matchIntervals(Buffer.from('..abcdabcd..'), secretNeedles(['abcd', 'cdab'])), [[2, 10]]);
  });

  test('the mask has the same length whatever the secret length', () => {
    const long = 'L'.repeat(500);
    assert.equal(redactSecrets(Buffer.from(`[${long}] [abcd]`), [long, 'abcd']).toString(), `[${MASK}] [${MASK}]`);
  });

  test('a multi-line secret (a key file) is masked across the newlines the copy cuts at', async () => {
    const key = '-----BEGIN KEY-----\nAAAABBBBCCCC\n-----END KEY-----';
    const text = await copyAll(store(), Buffer.from(`start\n${key}\nend\n`), 8, [key], 30);
    assert.equal(text, `start\n${MASK}\nend\n`);
  });

  test('worker-wide secrets (API keys) are masked in every log', async () => {
    const root = mkdtempSync(join(tmpdir(), 'flow-redact-'));
    roots.push(root);
    const logs = new LogStore(join(root, 'logs'), { secrets: ['tmprl-api-key-123'] });
    await logs.append('t', 0, 'k=tmprl-api-key-123\n');
    await logs.copyFrom('t', 1, async (offset) => Buffer.from('k=tmprl-api-key-123\n').subarray(offset), { final: true });
    assert.equal(readFileSync(logs.path('t', 0), 'utf8'), `k=${MASK}\n`);
    assert.equal(readFileSync(logs.path('t', 1), 'utf8'), `k=${MASK}\n`);
  });

  test('an append cut short by a crash is redone from its source offset: no line lost, none doubled', async () => {
    const logs = store();
    const secret = 'crash-secret-99';
    const source = Buffer.from(`one ${secret}\ntwo ${secret}\n`);
    const firstLine = source.indexOf('\n') + 1;
    const read = async (offset: number) => source.subarray(offset, Math.max(offset, firstLine));
    await logs.copyFrom('t', 0, read, { secrets: [secret] });
    const whole = async (offset: number) => source.subarray(offset);
    await logs.copyFrom('t', 0, whole, { secrets: [secret] });
    assert.equal(readFileSync(logs.path('t', 0), 'utf8'), `one ${MASK}\ntwo ${MASK}\n`);
    // The crash: the second append's time entry is written, its bytes only partly.
    truncateSync(logs.path('t', 0), `one ${MASK}\ntw`.length);
    assert.equal(await logs.consumed('t', 0), firstLine, 'resumes where the cut append began');
    await logs.copyFrom('t', 0, whole, { secrets: [secret], final: true });
    assert.equal(readFileSync(logs.path('t', 0), 'utf8'), `one ${MASK}\ntwo ${MASK}\n`);
    assert.equal(await logs.consumed('t', 0), source.length);
  });
});
