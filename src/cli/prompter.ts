// Line prompts on a terminal, including hidden ones for secrets (nothing typed is echoed).
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/** Ctrl-C or Ctrl-D at a prompt. */
export class PromptAborted extends Error {
  constructor() {
    super('Aborted at a prompt');
  }
}

export interface Prompter {
  ask(question: string): Promise<string>;
  /** Like ask, but the answer is never shown: not the characters, not their count. */
  askHidden(question: string): Promise<string>;
  close(): void;
}

/**
 * One readline interface for the whole session (separate ones could lose type-ahead).
 * readline runs in raw mode, so the terminal does not echo; readline's own echo goes through
 * `screen`, which drops everything while a hidden answer is typed.
 */
export function createPrompter(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Prompter {
  let muted = false;
  const screen = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!muted) output.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input, output: screen, terminal: true });
  let rejectPending: ((error: Error) => void) | undefined;
  const abort = () => {
    const reject = rejectPending;
    rejectPending = undefined;
    if (reject === undefined) return;
    if (!muted) output.write('\n'); // askHidden ends its own line
    reject(new PromptAborted());
  };
  rl.on('SIGINT', abort);
  rl.on('close', abort);

  const ask = (question: string) =>
    new Promise<string>((resolve, reject) => {
      rejectPending = reject;
      rl.question(question, (answer) => {
        rejectPending = undefined;
        resolve(answer);
      });
    });

  return {
    ask,
    async askHidden(question: string) {
      output.write(question);
      muted = true;
      try {
        return await ask('');
      } finally {
        muted = false;
        output.write('\n'); // the Enter that ended the answer was not echoed either
      }
    },
    close() {
      rejectPending = undefined;
      rl.close();
    },
  };
}
