import { ValidationError } from '../domain/errors';

/** Asks y/N on a TTY; without a TTY only `--yes` may confirm (scripts must say so). */
export async function confirm(question: string, yes: boolean | undefined, flagHint = '--yes'): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) {
    throw new ValidationError(`${question.replace(/\?$/, '')}: needs confirmation`, { field: 'yes', suggestions: [`Pass ${flagHint} to confirm without a prompt`] });
  }
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
