import type { Command } from 'commander';
import { parseDurationMs } from '../../domain/duration';
import { ValidationError } from '../../domain/errors';
import { POOL_NAME_HINT, POOL_NAME_PATTERN } from '../../domain/pools';
import { action } from '../exit-codes';

interface WorkerFlags {
  pool?: string;
  maxActivities?: string;
  maxWorkflowTasks?: string;
  shutdownGrace: string;
}

export function configureWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Run a Flow worker in the foreground against TEMPORAL_ADDRESS (scale-out)')
    .option('--pool <name>', 'poll this worker pool\'s queues only: it runs the tasks submitted with flow run --pool NAME (or pool: in the task); default: the default pool')
    .option('--max-activities <count>', 'most control activities (provision, start, teardown) run at once; default: the SDK\'s')
    .option('--max-workflow-tasks <count>', 'most workflow tasks run at once; default: the SDK\'s')
    .option(
      '--shutdown-grace <duration>',
      'on SIGTERM or Ctrl-C: stop taking work, let running steps and this host\'s local tasks finish for this long, then hand the rest back to other workers (exit 0)',
      '30s',
    )
    .addHelpText('after', `
Every worker also polls a queue of its own host (flow-host-<id>, the id kept in FLOW_HOME/host-id):
a local task's start, log following and teardown run on the machine that provisioned it.`)
    .action(action(async (flags: WorkerFlags) => {
      const { runForegroundWorker } = await import('../../worker/foreground-worker');
      await runForegroundWorker({
        shutdownGraceMs: parseDurationMs(flags.shutdownGrace, '--shutdown-grace'),
        ...(flags.pool === undefined ? {} : { pool: poolName(flags.pool) }),
        ...(flags.maxActivities === undefined ? {} : { maxActivities: wholeNumber(flags.maxActivities, '--max-activities') }),
        ...(flags.maxWorkflowTasks === undefined ? {} : { maxWorkflowTasks: wholeNumber(flags.maxWorkflowTasks, '--max-workflow-tasks') }),
      });
    }));
}

function poolName(raw: string): string {
  if (!POOL_NAME_PATTERN.test(raw)) throw new ValidationError(`--pool: '${raw.slice(0, 60)}' is not a pool name; ${POOL_NAME_HINT}`, { field: 'pool', suggestions: ['--pool gpu-a100'] });
  return raw;
}

function wholeNumber(raw: string, field: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new ValidationError(`${field}: '${raw}' must be a whole number of at least 1`, { field, suggestions: [`${field} 100`] });
  }
  return value;
}
