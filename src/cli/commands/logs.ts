import type { Command } from 'commander';
import { ValidationError } from '../../domain';
import { connectForCli } from '../connect';
import { action } from '../exit-codes';

export function configureLogsCommand(program: Command): void {
  program
    .command('logs')
    .description("Print a task's output (stdout and stderr)")
    .argument('<task>', 'task id')
    .option('-f, --follow', 'keep printing new output until the task ends')
    .option('--tail <n>', 'only the last N lines')
    .option('--node <rank>', 'rank of a multi-node task', '0')
    .action(action(logsAction));
}

function wholeNumber(text: string, field: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new ValidationError(`${field}: '${text}' must be a whole number`, { field });
  return value;
}

async function logsAction(taskId: string, flags: { follow?: boolean; tail?: string; node: string }): Promise<void> {
  const tail = flags.tail === undefined ? undefined : wholeNumber(flags.tail, 'tail');
  const node = wholeNumber(flags.node, 'node');
  const flow = await connectForCli();
  try {
    const task = await flow.getTask(taskId);
    if (flags.follow) {
      for await (const line of task.logs({ follow: true, tail, node })) process.stdout.write(`${line}\n`);
    } else {
      const text = await task.logs({ tail, node });
      if (text) process.stdout.write(`${text}\n`);
    }
  } finally {
    await flow.close();
  }
}
