import { spawn } from 'node:child_process';
import { join } from 'node:path';

const FLOW_BIN = join(__dirname, '..', '..', '..', 'bin', 'flow.js');

export interface PtyResult {
  code: number | null;
  /** stdout and stderr together, as the terminal showed them (\r\n line ends). */
  output: string;
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs the compiled `flow` on a pseudo-terminal through util-linux `script`, so stdout and
 * stderr are TTYs as in a user's shell. `script -e` exits with the command's exit code.
 */
export function runCliInPty(args: string[], options: { env: NodeJS.ProcessEnv; timeoutMs?: number; onOutput?: (soFar: string) => void }): Promise<PtyResult> {
  const command = [process.execPath, FLOW_BIN, ...args].map(shellQuote).join(' ');
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...options.env, TERM: 'xterm-256color' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: Buffer) => {
      output += chunk;
      options.onOutput?.(output);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`flow ${args.join(' ')} (pty) did not finish in ${timeoutMs} ms\n${output}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Output without colour and cursor escape sequences. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}

export const ANSI_COLOR = /\x1b\[\d+(;\d+)*m/;
