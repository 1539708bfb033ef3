import { ValidationError } from '../domain/errors';

/** Asks y/N on a TTY (Ctrl-C or Ctrl-D answer no); without a TTY only `--yes` may confirm (scripts must say so). */
export async function confirm(question: string, yes: boolean | undefined, flagHint = '--yes'): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) {
    throw new ValidationError(`${question.replace(/\?$/, '')}: needs confirmation`, { field: 'yes', suggestions: [`Pass ${flagHint} to confirm without a prompt`] });
  }
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } catch (error) {
    // Ctrl-C or Ctrl-D at the prompt is a "no", not a failure.
    if ((error as Error).name !== 'AbortError') throw error;
    process.stderr.write('\n');
    return false;
  } finally {
    rl.close();
  }
}
