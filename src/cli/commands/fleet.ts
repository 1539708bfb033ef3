import type { Command } from 'commander';
import { action } from '../exit-codes';
import type { FleetAddFlags } from './fleet-action';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `flow fleet`: the SSH hosts the ssh provider runs tasks on (config.yaml's ssh.hosts). */
export function configureFleetCommand(program: Command): void {
  const fleet = program
    .command('fleet')
    .description('Manage your own servers, reached over SSH, that tasks can run on (--provider ssh)')
    .addHelpText(
      'after',
      `
Examples:
  flow fleet add gpu1 ubuntu@10.0.0.5 --identity-file ~/.ssh/id_ed25519
  flow fleet add gpu2 root@gpu2.lab:2222 --proxy-jump admin@bastion.lab --gpus 8xa100 --price 0
  flow fleet list
  flow fleet remove gpu2`,
    );

  fleet
    .command('add')
    .description('Add a host: connects once (records its host key, reads its CPUs, memory and GPUs) and stores it')
    .argument('<name>', 'a name for the host, e.g. gpu1')
    .argument('<target>', 'USER@HOST[:PORT], e.g. ubuntu@10.0.0.5 or root@gpu1.lab:2222')
    .option('--identity-file <path>', 'private key to log in with (default: ~/.ssh/id_ed25519, id_rsa, id_ecdsa, else the SSH agent)')
    .option('--proxy-jump <hops>', 'jump host(s) on the way, as OpenSSH ProxyJump: user@bastion[:port][,user@next]')
    .option('--gpus <type>', 'instance type the host offers, e.g. 8xa100 (default: discovered with nvidia-smi)')
    .option('--price <usd>', 'USD per hour charged against price and cost limits (default 0)')
    .option('--label <k=v>', 'a label for the host (repeatable)', collect)
    .option('--remote-dir <dir>', "Flow's folder on the host (default ~/.flow-host)")
    .option('--json', 'print machine-readable output')
    .action(action(async (name: string, target: string, flags: FleetAddFlags) => (await import('./fleet-action')).fleetAddAction(name, target, flags)));

  fleet
    .command('list')
    .alias('ls')
    .description('Show the fleet: address, instance type, CPUs, memory, price and labels')
    .option('--json', 'print machine-readable output')
    .action(action(async (flags: { json?: boolean }) => (await import('./fleet-action')).fleetListAction(flags)));

  fleet
    .command('remove')
    .alias('rm')
    .description('Remove a host from the fleet (its recorded host key is kept)')
    .argument('<name>', 'host name')
    .option('--json', 'print machine-readable output')
    .action(action(async (name: string, flags: { json?: boolean }) => (await import('./fleet-action')).fleetRemoveAction(name, flags)));

  fleet
    .command('trust')
    .description("Record a host's current SSH host key, replacing the old one (after you checked the change is expected)")
    .argument('<name>', 'host name')
    .option('--json', 'print machine-readable output')
    .action(action(async (name: string, flags: { json?: boolean }) => (await import('./fleet-action')).fleetTrustAction(name, flags)));
}
