import { spawn } from 'node:child_process';
import { join } from 'node:path';

const FLOW_BIN = join(__dirname, '..', '..', '..', 'bin', 'flow.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI without waiting, for tests that signal it. */
export function spawnCli(args: string[], options: { env: NodeJS.ProcessEnv }) {
  return spawn(process.execPath, [FLOW_BIN, ...args], { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs the compiled `flow` CLI as a subprocess (no TTY), with a deadline. */
export function runCli(args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FLOW_BIN, ...args], { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`flow ${args.join(' ')} did not finish in ${options.timeoutMs ?? 60_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
