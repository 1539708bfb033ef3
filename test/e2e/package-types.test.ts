import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

const REPO = join(__dirname, '..', '..', '..');
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');

/** A consumer's code: everything it touches must type-check against the published .d.ts files. */
const CONSUMER_SOURCE = `
import { Flow, Task, TaskFailedError, TaskConfig, type LogLines, type LogOptions, type TaskOutcome, type TaskState, type TaskSummary } from 'flow-sdk';

export async function main(): Promise<number> {
  const flow = await Flow.connect({ onProgress: (message: string) => console.error(message) });
  const task: Task = await flow.run('python train.py', { instanceType: 'cpu', env: { BATCH: '64' } });
  const options: LogOptions = { tail: 10 };
  for await (const line of task.logs({ ...options, follow: true })) console.log(line.toUpperCase());
  for await (const line of task.logs()) console.log(line.length);
  const lines: LogLines = task.logs({ tail: 5 });
  const text: string = await lines.text();
  const stopped: TaskOutcome = await task.stop('enough');
  const state: TaskState = await task.describe();
  const listed: TaskSummary[] = await flow.listTasks({ status: 'running' });
  const config = TaskConfig.parse({ command: 'echo hi' });
  try {
    const outcome: TaskOutcome = await task.wait();
    return (outcome.exitCode ?? 0) + state.nodes.length + listed.length + config.numInstances + text.length + (stopped.exitCode ?? 0);
  } catch (error) {
    if (error instanceof TaskFailedError) return error.exitCode ?? 1;
    throw error;
  } finally {
    await flow.close();
  }
}
`;

/** How consumers resolve modules today: Node's own (nodenext) and a bundler's. */
const RESOLUTIONS = [
  { module: 'nodenext', moduleResolution: 'nodenext' },
  { module: 'esnext', moduleResolution: 'bundler' },
];

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('the package types in a strict consumer project', { timeout: 240_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'flow-consumer-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  for (const resolution of RESOLUTIONS) {
    test(`tsc passes with strict, skipLibCheck false, moduleResolution ${resolution.moduleResolution}`, async () => {
      const dir = join(root, resolution.moduleResolution);
      mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
      // The package as a consumer installs it (the built repo), plus the consumer's own @types/node.
      symlinkSync(REPO, join(dir, 'node_modules', 'flow-sdk'), 'dir');
      symlinkSync(join(REPO, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'), 'dir');
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { ...resolution, target: 'ES2022', strict: true, skipLibCheck: false, noEmit: true, types: ['node'] },
          files: ['main.ts'],
        }),
      );
      writeFileSync(join(dir, 'main.ts'), CONSUMER_SOURCE);
      const { code, output } = await run(process.execPath, [TSC, '-p', dir], dir);
      assert.equal(code, 0, `tsc failed:\n${output}`);
    });
  }
});
