import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stopDaemon } from '../../src/daemon/daemon-control';
import { runCli, spawnCli, type CliResult } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { waitFor } from '../helpers/wait-for';
import { untilFileExists } from '../helpers/release-file';

const LINES = 200_000;
/** What `seq 1 200000` prints: about 1.3 MB, far more than a pipe holds (64 KB). */
const SEQ_TEXT = `${Array.from({ length: LINES }, (_, i) => i + 1).join('\n')}\n`;

/** Runs the CLI and reads its stdout slowly: one pipe read (at most 64 KB) every `pauseMs`. */
function runWithSlowReader(args: string[], env: NodeJS.ProcessEnv, pauseMs = 20): Promise<CliResult> {
  const child = spawnCli(args, { env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), pauseMs);
  });
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`flow ${args.join(' ')} did not finish in 90 s; read ${stdout.length} characters\nstderr: ${stderr}`));
    }, 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('CLI output into pipes: complete for slow readers, a quiet exit for closed ones', { timeout: 300_000 }, () => {
  const { home, cleanup } = tempFlowHome('flow-cli-output-');
  const env = testEnv(home);
  const flow = (...args: string[]) => runCli(args, { env, timeoutMs: 90_000 });
  let bigId: string;
  before(async () => {
    const started = await flow('run', '--detach', '--name', 'big', `seq 1 ${LINES}`);
    assert.equal(started.code, 0, started.stderr);
    bigId = started.stdout.trim();
    await waitFor(async () => JSON.parse((await flow('status', bigId, '--json')).stdout).status === 'completed', {
      timeoutMs: 60_000,
      message: 'big completed',
    });
  });
  after(async () => {
    await stopDaemon(home);
    cleanup();
  });

  test('flow logs writes a large log in full to a slowly read pipe', async () => {
    const result = await runWithSlowReader(['logs', bigId], env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.split('\n').length - 1, LINES);
    assert.ok(result.stdout === SEQ_TEXT, 'the whole log, in order');
    assert.equal(result.stderr, '');
  });

  test('an attached flow run -q writes all of its output to a slowly read pipe', async () => {
    const result = await runWithSlowReader(['run', '-q', `seq 1 ${LINES}`], env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.split('\n').length - 1, LINES);
    assert.ok(result.stdout === SEQ_TEXT, 'all output, in order');
  });

  test('a reader that closes the pipe early (as `| head -1` does) ends flow logs -f quietly with exit 0', async () => {
    // The task keeps running, so only the closed pipe can end the follower.
    const release = join(home, 'release-held');
    const held = await flow('run', '--detach', '--name', 'held', `seq 1 ${LINES}; ${untilFileExists(release)}`);
    assert.equal(held.code, 0, held.stderr);
    const heldId = held.stdout.trim();
    try {
      const child = spawnCli(['logs', heldId, '-f'], { env });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      let firstChunk = '';
      child.stdout.once('data', (chunk) => {
        firstChunk = String(chunk);
        child.stdout.destroy(); // closes the read end: the CLI's next write fails with EPIPE
      });
      const code = await new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`flow logs -f kept running for 60 s after its reader closed the pipe\nstderr: ${stderr}`));
        }, 60_000);
        child.on('close', (exitCode) => {
          clearTimeout(timer);
          resolve(exitCode);
        });
      });
      assert.match(firstChunk, /^1\n/);
      assert.equal(code, 0, stderr);
      assert.equal(stderr, '', 'no error text, no stack trace');
    } finally {
      writeFileSync(release, '');
    }
    await waitFor(async () => JSON.parse((await flow('status', heldId, '--json')).stdout).status === 'completed', {
      timeoutMs: 60_000,
      message: 'held completed after release',
    });
  });
});
