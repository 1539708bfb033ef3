import type { Command } from 'commander';
import { openBackend } from '../backend';
import { action } from '../exit-codes';
import { colors, printJson, statusColor } from '../output';

export function configureCancelCommand(program: Command): void {
  program
    .command('cancel')
    .description('Stop a task: its command is stopped and its instance released')
    .argument('<task>', 'task id')
    .option('--json', 'print machine-readable output')
    .action(action(cancelAction));
}

async function cancelAction(taskId: string, flags: { json?: boolean }): Promise<void> {
  const backend = await openBackend();
  try {
    const outcome = await backend.stop(taskId, 'cancelled from the CLI');
    if (flags.json) return printJson(outcome);
    const c = colors(process.stdout);
    process.stdout.write(`${taskId}  ${statusColor(outcome.status, c)(outcome.status)}\n`);
  } finally {
    await backend.close();
  }
}
