/**
 * Load: one task printing 1,000,000 lines (`seq 1 1000000`, so every line says where it belongs).
 * `flow logs ID` hands over every line, in order, to a reader on a pipe and into a file, and has
 * written everything before it exits (the file is checked the moment the command returns).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';

const LINES = 1_000_000;
const FLOW_BIN = join(__dirname, '..', '..', '..', 'bin', 'flow.js');

let harness: FlowHarness;
let taskId: string;
before(async () => {
  harness = await startFlow('flow-load-lines-');
  const task = await harness.flow.run(`seq 1 ${LINES}`, { uploadCode: false });
  assert.equal((await task.wait()).status, 'completed');
  taskId = task.taskId;
});
after(async () => {
  await harness?.stop();
});

/** Checks `text` is exactly "1\n2\n...\nLINES\n"; says where it first differs. */
function assertSeq(text: string, where: string): void {
  let expected = 1;
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    assert.notEqual(end, -1, `${where}: the last line (after ${expected - 1}) has no newline`);
    const line = text.slice(start, end);
    if (line !== String(expected)) assert.fail(`${where}: line ${expected} is ${JSON.stringify(line)}`);
    expected++;
    start = end + 1;
  }
  assert.equal(expected - 1, LINES, `${where}: ${expected - 1} lines, not ${LINES}`);
}

/** Runs a shell command line with the harness env; resolves with its exit code and stdout. */
function shell(commandLine: string, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', commandLine], { env: harness.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr });
    });
  });
}

test(`flow logs hands a reader on a pipe all ${LINES} lines, in order`, { timeout: 120_000 }, async () => {
  const result = await shell(`exec "${process.execPath}" "${FLOW_BIN}" logs ${taskId}`, 100_000);
  assert.equal(result.code, 0, result.stderr);
  assertSeq(result.stdout, 'piped');
});

test(`flow logs ID > file has written all ${LINES} lines when it exits`, { timeout: 120_000 }, async () => {
  const file = join(harness.home, 'logs-copy.txt');
  const result = await shell(`"${process.execPath}" "${FLOW_BIN}" logs ${taskId} > "${file}"`, 100_000);
  assert.equal(result.code, 0, result.stderr);
  // Read at once after the exit: anything still being written would show as missing lines.
  assertSeq(readFileSync(file, 'utf8'), 'file');
});

test(`a slow reader on a pipe still gets all ${LINES} lines (the CLI waits for it)`, { timeout: 120_000 }, async () => {
  // The reader sleeps before reading, so the CLI's writes back up and must wait for the pipe.
  const result = await shell(`"${process.execPath}" "${FLOW_BIN}" logs ${taskId} | (sleep 1; cat)`, 100_000);
  assert.equal(result.code, 0, result.stderr);
  assertSeq(result.stdout, 'slow pipe');
});
