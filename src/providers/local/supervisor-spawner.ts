import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { SpawnReply, SpawnRequest } from './spawner-protocol';

/** Node flags for the spawner: a small heap keeps its memory, and so each fork, small. */
const SPAWNER_NODE_FLAGS = ['--max-old-space-size=32', '--max-semi-space-size=1'];

interface Pending {
  spawned: () => void;
  failed: (error: Error) => void;
  ended: () => void;
}

/**
 * The worker's side of spawner-main: one spawner process, started on first use. Until it is
 * ready, and after it ended, `spawn` answers undefined and the caller forks the supervisor
 * itself; a spawner that ends is started again on the next call.
 */
export class SupervisorSpawner {
  private child: ChildProcessByStdio<Writable, Readable, null> | undefined;
  private ready = false;
  private started: Promise<boolean> = Promise.resolve(false);
  private nextId = 1;
  private answersAwaited = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly main = join(__dirname, 'spawner-main.js')) {}

  /**
   * Asks the spawner to start `/bin/sh <script>` in a new session. Resolves once it runs, with a
   * promise of its end (in an object: a promise resolved with a promise would wait for it);
   * undefined when no spawner is ready (this call starts one); rejects when the spawner could not
   * start it, or ended before it answered (SpawnerGoneError: it may have started it).
   */
  spawn(script: string, options: { env: Record<string, string>; cwd: string }): Promise<{ ended: Promise<void> }> | undefined {
    const child = this.child;
    if (child === undefined || !this.ready) {
      void this.start();
      return undefined;
    }
    const request: SpawnRequest = { id: this.nextId++, script, env: options.env, cwd: options.cwd };
    const answered = new Promise<{ ended: Promise<void> }>((spawned, failed) => {
      let ended!: () => void;
      const end = new Promise<void>((resolve) => (ended = resolve));
      this.pending.set(request.id, { spawned: () => spawned({ ended: end }), failed, ended });
      child.stdin.write(`${JSON.stringify(request)}\n`);
    });
    // Waiting for the answer keeps this process alive; waiting for a supervisor's end does not.
    this.awaitAnswer(+1);
    return answered.finally(() => this.awaitAnswer(-1));
  }

  private awaitAnswer(change: number): void {
    const stdout = this.child?.stdout as unknown as { ref?: () => void; unref?: () => void } | undefined;
    this.answersAwaited += change;
    if (this.answersAwaited > 0) stdout?.ref?.();
    else stdout?.unref?.();
  }

  /** The running spawner's pid (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Ends the spawner (the supervisors it started go on). */
  stop(): void {
    this.child?.stdin.end();
  }

  /** Starts the spawner unless it runs; resolves once it does (false: it could not start). */
  start(): Promise<boolean> {
    if (this.child !== undefined) return this.started;
    const child = spawn(process.execPath, [...SPAWNER_NODE_FLAGS, this.main], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    this.started = new Promise((resolve) => {
      child.once('spawn', () => {
        this.ready = this.child === child;
        resolve(this.ready);
      });
      child.once('error', () => resolve(false));
    });
    // Neither the process nor its pipes keep the worker alive; its stdin closing ends the spawner.
    child.unref();
    for (const stream of [child.stdin, child.stdout] as unknown as { unref?: () => void }[]) stream.unref?.();
    child.stdin.on('error', () => undefined);
    child.once('error', () => this.ended(child));
    child.once('exit', () => this.ended(child));
    createInterface({ input: child.stdout }).on('line', (line) => this.answer(line));
    return this.started;
  }

  private answer(line: string): void {
    let reply: SpawnReply;
    try {
      reply = JSON.parse(line) as SpawnReply;
    } catch {
      return;
    }
    const waiting = this.pending.get(reply.id);
    if (waiting === undefined) return;
    if ('spawned' in reply) {
      waiting.spawned();
    } else if ('error' in reply) {
      this.pending.delete(reply.id);
      waiting.failed(new Error(reply.error));
    } else {
      this.pending.delete(reply.id);
      waiting.ended();
    }
  }

  private ended(child: ChildProcessByStdio<Writable, Readable, null>): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.ready = false;
    const lost = [...this.pending.values()];
    this.pending.clear();
    for (const waiting of lost) {
      waiting.failed(new SpawnerGoneError());
      // Whatever it started is no longer watched from here: its follower polls.
      waiting.ended();
    }
  }
}

/** The spawner ended before it answered: the supervisor may or may not have been started. */
export class SpawnerGoneError extends Error {
  constructor() {
    super('the supervisor spawner ended before it answered');
    this.name = 'SpawnerGoneError';
  }
}
