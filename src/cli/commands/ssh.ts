import type { Command } from 'commander';
import { action } from '../exit-codes';
import type { sshAction } from './ssh-action';

export function configureSshCommand(program: Command): void {
  program
    .command('ssh')
    .description("Open a shell on a task's instance, or run a command there (flow ssh TASK -- CMD...)")
    .argument('<task>', 'task id')
    .argument('[command...]', 'command to run instead of a shell (put it after --)')
    .option('--node <rank>', 'rank of a multi-node task', '0')
    .addHelpText('after', `
Examples:
  flow ssh train-9c                  # interactive shell on rank 0
  flow ssh train-9c --node 2 -- nvidia-smi
Providers without a shell (local) say so and show where the command runs.`)
    .action(action(async (...args: Parameters<typeof sshAction>) => (await import('./ssh-action')).sshAction(...args)));
}
