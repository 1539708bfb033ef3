/**
 * How the CLI ends: only after stdout and stderr have handed everything to the OS. Into a pipe
 * Node writes asynchronously, so a bare process.exit() drops what a slow reader has not taken
 * yet (`flow logs ID | wc -l` came up short). A reader that goes away (`| head -1`) ends the CLI
 * quietly and successfully, as it would end `cat`.
 */
import { EXIT } from './exit-codes';

let exiting: Promise<never> | undefined;

/** Resolves once what was written to `stream` so far is out (or the stream is gone). */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('close', resolve);
    // Writes complete in order, so this empty one completes after everything before it.
    stream.write('', () => resolve());
  });
}

/** Exits with `code` once stdout and stderr are drained. The first call decides the code. */
export function exitWhenFlushed(code: number): Promise<never> {
  exiting ??= Promise.all([drained(process.stdout), drained(process.stderr)]).then(() => process.exit(code));
  return exiting;
}

/** Writes to stdout; resolves when the stream can take more, so a slow reader slows the writer instead of filling memory. */
export function writeOut(text: string | Uint8Array): Promise<void> {
  const stream = process.stdout;
  if (stream.write(text) || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}

/** Installs the handlers for a reader that closed stdout or stderr; call once, first thing. */
export function handleClosedOutput(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') {
      void exitWhenFlushed(EXIT.ok);
      return;
    }
    process.stderr.write(`Error: cannot write the output: ${error.message}\n`);
    void exitWhenFlushed(EXIT.failure);
  });
  // A closed stderr leaves nowhere to report anything; the command goes on with stdout.
  process.stderr.on('error', () => undefined);
}
