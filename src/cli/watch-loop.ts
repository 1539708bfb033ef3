// `flow status -w`: the same view again every few seconds until Ctrl-C.
import { EXIT } from './exit-codes';
import { colors } from './output';
import { exitWhenFlushed, writeOut } from './process-exit';

/** Clears a terminal and puts the cursor top left. */
const CLEAR_SCREEN = '\x1b[H\x1b[2J';

/**
 * Prints `render()` every refreshMs until Ctrl-C, which exits 130 once the output is flushed.
 * On a terminal each frame replaces the last; into a pipe or file, frames follow one another
 * separated by a blank line (`oneLine`: each frame is a single line, e.g. JSON, and no blank line).
 */
export async function watchLoop(render: () => Promise<string>, options: { refreshMs: number; oneLine?: boolean }): Promise<never> {
  process.once('SIGINT', () => void exitWhenFlushed(EXIT.interrupted));
  const tty = Boolean(process.stdout.isTTY) && !options.oneLine;
  const footer = colors(process.stdout).dim(`Every ${options.refreshMs / 1000}s · Ctrl-C to stop`);
  for (let frame = 0; ; frame += 1) {
    // Rendered before the screen is cleared, so the old frame stays up while the new one is read.
    const text = await render();
    if (tty) await writeOut(`${CLEAR_SCREEN}${text}\n\n${footer}\n`);
    else await writeOut(`${frame > 0 && !options.oneLine ? '\n' : ''}${text}\n`);
    await new Promise((resolve) => setTimeout(resolve, options.refreshMs));
  }
}
