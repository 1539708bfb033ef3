/**
 * `flow logs ID` of a whole finished log: the file's bytes to stdout as they are, in big reads
 * through two reused buffers (no per-line work, no fresh buffer per chunk). A buffer is read
 * into again only once its write is done, so a slow reader slows the copy instead of the log
 * piling up in memory, and everything is handed to stdout before this resolves.
 */
import { open, type FileHandle } from 'node:fs/promises';

const CHUNK_BYTES = 1024 * 1024;

/** Resolves once stdout has taken `chunk` (or is gone: a closed reader ends the CLI elsewhere). */
function written(chunk: Uint8Array): Promise<void> {
  const stream = process.stdout;
  if (stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('close', done);
      resolve();
    };
    stream.once('close', done);
    stream.write(chunk, done);
  });
}

/** Copies `file` to stdout; returns its last byte, or undefined when it is empty or missing (no log yet). */
export async function copyFileToStdout(file: string): Promise<number | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)];
    const writes: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()];
    let position = 0;
    let last: number | undefined;
    for (let turn = 0; ; turn = 1 - turn) {
      await writes[turn];
      const buffer = buffers[turn]!;
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      last = buffer[bytesRead - 1];
      writes[turn] = written(bytesRead === CHUNK_BYTES ? buffer : buffer.subarray(0, bytesRead));
    }
    await Promise.all(writes);
    return last;
  } finally {
    await handle.close();
  }
}
