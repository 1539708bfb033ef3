import type { Command } from 'commander';
import { action } from '../exit-codes';

export function configureWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Run a Flow worker in the foreground against TEMPORAL_ADDRESS (scale-out)')
    .action(action(async () => {
      const { runForegroundWorker } = await import('../../worker/foreground-worker');
      await runForegroundWorker();
    }));
}
