import { Option, type Command } from 'commander';
import { action } from '../exit-codes';
import type { InitTemplateFlags } from './init-template-action';

const collect = (value: string, previous: string[]) => [...previous, value];

/** `flow init`: a commented task template, as 3.28 writes it (account setup is `flow setup`). */
export function configureInitCommand(program: Command): void {
  program
    .command('init')
    .description('Create a task config file (a commented task.yaml template); account setup is flow setup')
    .option('-o, --output <file>', 'write to FILE (default: print to stdout)')
    .option('--force', 'overwrite an existing output file')
    .option('-n, --name <name>', 'seed name (default: the current folder name, else my-task)')
    .addOption(new Option('--no-unique', 'write unique_name: false (the name is the task id)').hideHelp())
    .option('-i, --instance-type <type>', 'seed instance_type, e.g. 1xh100, 8xh100, cpu (default 8xh100)')
    .option('--min-gpu-mem <GB>', 'seed min_gpu_memory_gb instead of an instance type (not with -i)')
    .option('-c, --command <command>', 'seed command (default: echo "Hello from Flow!" and nvidia-smi)')
    .option('--image <image>', 'seed image')
    .option('--env <KEY=VALUE>', 'seed env vars (repeatable, comma-separated: A=1,B=2)', collect, [])
    .option('--port <ports>', 'seed high ports: 8888,6006 or 3000-3002 (repeatable, >= 1024)', collect, [])
    .option('--priority <level>', 'seed priority: low, med or high')
    .option('-m, --max-price-per-hour <USD>', 'seed max_price_per_hour (USD)')
    .addHelpText('after', `
Examples:
  flow init > task.yaml
  flow init -o task.yaml && flow run task.yaml -i cpu
  flow init -i 1xh100 --name my-train -c 'python train.py'
  flow init --port 8888,6006 --env WANDB_KEY=abc,LR=0.001`)
    .action(action(async (flags: InitTemplateFlags) => (await import('./init-template-action')).initTemplateAction(flags)));
}
