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
The task must be running. On local the shell or command runs on this machine in the task's
working dir, with its env, secrets and volumes (inside its sandbox when bubblewrap is used).
Without a command, a terminal is needed; else exit 3. With one, flow exits with its exit code.`)
    .action(action(async (...args: Parameters<typeof sshAction>) => (await import('./ssh-action')).sshAction(...args)));
}
