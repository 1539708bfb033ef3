import type { ChildProcess } from 'node:child_process';

/** Stops a child the test started: TERM, then KILL if it is still there after `killAfterMs`; resolves once it exited. */
export async function stopChild(child: ChildProcess | undefined, killAfterMs = 15_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(timer);
}
