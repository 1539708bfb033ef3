import type { Command } from 'commander';
import { action } from '../exit-codes';
import type { portForwardAction } from './port-forward-action';

export function configurePortForwardCommand(program: Command): void {
  program
    .command('port-forward')
    .description("Reach a port of a running task's node from this machine (LOCAL:REMOTE, or one port for both)")
    .argument('<task>', 'task id')
    .argument('<ports>', 'LOCAL:REMOTE, e.g. 8080:8000 (0:8000 picks a free local port), or 8000 for both')
    .option('--node <rank>', 'rank of a multi-node task', '0')
    .option('--json', 'print the forward as JSON once it listens')
    .addHelpText('after', `
Examples:
  flow port-forward serve-3f 8080:8000     # then open http://127.0.0.1:8080
  flow port-forward train-9c 6006 --node 1
Runs until Ctrl-C. On ssh fleet hosts the traffic goes through the SSH connection to the host's
loopback, so the port need not be open on the host's network.`)
    .action(action(async (...args: Parameters<typeof portForwardAction>) => (await import('./port-forward-action')).portForwardAction(...args)));
}
