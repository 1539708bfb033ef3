import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { SpawnReply, SpawnRequest } from './spawner-protocol';

/*
 * The supervisor spawner: a small Node process that the worker starts once and asks, one JSON
 * line on stdin per launch, to start `/bin/sh <script>` as a new session leader. Forking costs
 * time in proportion to the forking process's memory (about 6 ms from a 170 MB worker on a
 * 2-core VM, 1 ms from this process), so the worker forks this one once instead of itself per
 * task. Replies, one JSON line each on stdout: spawned (or error), then exited. It ends when the
 * worker closes its stdin (the worker ended); the supervisors it started go on without it.
 */

function reply(message: SpawnReply): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function start(request: SpawnRequest): void {
  let child;
  try {
    child = spawn('/bin/sh', [request.script], { detached: true, stdio: 'ignore', env: request.env, cwd: request.cwd });
  } catch (error) {
    reply({ id: request.id, error: (error as Error).message });
    return;
  }
  child.once('error', (error) => reply({ id: request.id, error: error.message }));
  child.once('spawn', () => reply({ id: request.id, spawned: true }));
  child.once('exit', () => reply({ id: request.id, exited: true }));
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let request: SpawnRequest;
  try {
    request = JSON.parse(line) as SpawnRequest;
  } catch {
    process.stderr.write('flow supervisor spawner: ignored a line that is not JSON\n');
    return;
  }
  start(request);
});
// The worker is gone: nobody waits for replies, and the supervisors need nothing from here.
lines.on('close', () => process.exit(0));
// A worker that ended mid-reply: nothing to tell anyone.
process.stdout.on('error', () => process.exit(0));
