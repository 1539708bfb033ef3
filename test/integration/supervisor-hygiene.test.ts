import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';

/**
 * The local supervisor does not depend on the task's environment or on what its parents left
 * open: its tools by absolute path, `sh -c --`, and no descriptor above 2 reaches the task.
 */
describe('local supervisor hygiene (real Temporal dev server)', { timeout: 180_000 }, () => {
  let h: FlowHarness;
  let scratch: string;
  before(async () => {
    h = await startFlow('flow-hygiene-');
    scratch = mkdtempSync(join(tmpdir(), 'flow-hygiene-'));
  });
  after(async () => {
    await h?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('PATH=/nonexistent in the task env: the command still exits 0', async () => {
    const task = await h.flow.run('echo path-ok', { env: { PATH: '/nonexistent' } });
    const outcome = await task.wait();
    assert.equal(outcome.status, 'completed', JSON.stringify(outcome));
    assert.match(await task.logs().text(), /path-ok/);
  });

  test('a command starting with "-" runs as a command (sh -c --)', async () => {
    const bin = join(scratch, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, '-dash-tool'), '#!/bin/sh\necho dash-ran\n');
    chmodSync(join(bin, '-dash-tool'), 0o755);
    const task = await h.flow.run('-dash-tool', { env: { PATH: `${bin}:/usr/bin:/bin` } });
    const outcome = await task.wait();
    assert.equal(outcome.status, 'completed', JSON.stringify(outcome));
    assert.match(await task.logs().text(), /dash-ran/);
  });

  test('a descriptor left open by the process that starts the daemon reaches neither the worker nor the task', async () => {
    // A child starts its own Flow with fd 40 open without close-on-exec (a shell's `40<file`
    // leaves it so). The daemon starts through a shell that closes it, so its worker can spawn
    // each supervisor directly. The task lists its own descriptors.
    const marker = join(scratch, 'inherited-fd-marker');
    writeFileSync(marker, '');
    const script = `
      const { readdirSync, readlinkSync } = require('node:fs');
      const { startFlow } = require(${JSON.stringify(join(__dirname, '..', 'helpers', 'flow-harness.js'))});
      const holds = (pid) => readdirSync('/proc/' + pid + '/fd').some((n) => { try { return readlinkSync('/proc/' + pid + '/fd/' + n) === ${JSON.stringify(marker)}; } catch { return false; } });
      (async () => {
        const h = await startFlow('flow-fds-');
        try {
          const task = await h.flow.run('ls -l /proc/self/fd; true');
          const outcome = await task.wait();
          const worker = JSON.parse(require('node:fs').readFileSync(require('node:path').join(h.home, 'daemon', 'state.json'), 'utf8')).workerPid;
          // This process holds the descriptor (else this test proves nothing); its worker does not.
          process.stdout.write(JSON.stringify({ status: outcome.status, log: await task.logs().text(), selfHas: holds(process.pid), workerHas: holds(worker) }));
        } finally {
          await h.stop();
        }
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const child = spawn('/bin/bash', ['-c', 'exec 40<"$2"; exec "$0" -e "$1"', process.execPath, script, marker], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, err);
    const result = JSON.parse(out) as { status: string; log: string; selfHas: boolean; workerHas: boolean };
    assert.equal(result.status, 'completed');
    assert.equal(result.selfHas, true, 'the process that started the daemon holds the descriptor');
    assert.equal(result.workerHas, false, 'the daemon closed it before its worker started');
    assert.ok(!result.log.includes(marker), `the task does not hold the inherited descriptor:\n${result.log}`);
    // ls's own listing: 0-2 and the one descriptor ls opens to read the folder.
    const fds = [...result.log.matchAll(/ (\d+) -> /g)].map((m) => Number(m[1]));
    assert.deepEqual(fds, [0, 1, 2, 3], result.log);
  });
});
