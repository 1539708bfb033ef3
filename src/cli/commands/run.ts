import type { Command } from 'commander';
import { action } from '../exit-codes';
import type { RunCommandFlags } from './run-action';

const collect = (value: string, previous: string[]) => [...previous, value];

export function configureRunCommand(program: Command): void {
  program
    .command('run')
    .description('Run a command (or a task.yaml) as a durable task')
    .argument('<command|task.yaml>', 'shell command to run, or a YAML task file')
    .option('-i, --instance-type <type>', 'instance type, e.g. a100, 4xa100, 8xh100, cpu')
    .option('-n, --nodes <count>', 'number of instances (numInstances)')
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', collect, [])
    .option('--secret <KEY=VALUE>', 'secret env variable, redacted in logs (repeatable)', collect, [])
    .option('-v, --volume <NAME[:PATH]>', 'volume to mount, default path /volumes/NAME (repeatable)', collect, [])
    .option('--max-price <USD>', 'maximum price per instance-hour')
    .option('--max-run-time <duration>', 'stop the task after this long, e.g. 90s, 30m, 2h; 0 = no limit (the default)')
    .option('--image <image>', 'container image (not supported by the local provider yet)')
    .option('--provider <name>', 'local | ssh | mithril')
    .option('--name <name>', 'task name (the id gets a random suffix)')
    .option('--workdir <path>', 'working directory for the command (default: the current directory)')
    .option('-d, --detach', 'print the task id and return at once')
    .option('-q, --quiet', "print only the task's output and errors (no status lines or spinner)")
    .option('--json', 'print machine-readable output')
    .addHelpText('after', `
Examples:
  flow run "python train.py" -i a100
  flow run "nvidia-smi" --max-run-time 5m
  flow run "echo \\$GREETING" -e GREETING=hello -d
  flow run task.yaml -v datasets:/data`)
    .action(action(async (target: string, flags: RunCommandFlags) => (await import('./run-action')).runAction(target, flags)));
}

