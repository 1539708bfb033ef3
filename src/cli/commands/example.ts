import type { Command } from 'commander';
import { action } from '../exit-codes';
import type { ExampleFlags } from './example-action';

/** `flow example [NAME]`: 3.28's ready-to-run starters; list, show (--show) or run. */
export function configureExampleCommand(program: Command): void {
  program
    .command('example')
    .description('Run ready-to-run examples and view their configurations')
    .argument('[name]', 'minimal, gpu-test, system-info or training (none: list them)')
    .option('--show', "print the example's task YAML instead of running it")
    .option('-y, --yes', 'run without asking (as flow run -y)')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', `
Examples:
  flow example                          # list the examples
  flow example gpu-test                 # run it, like flow run with its task file
  flow example training --show > task.yaml && flow run task.yaml`)
    .action(action(async (name: string | undefined, flags: ExampleFlags) => (await import('./example-action')).exampleAction(name, flags)));
}
