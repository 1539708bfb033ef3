import { ValidationError, assertProviderAvailable, parseTaskConfig, type ProviderName, type TaskConfig } from '../../domain';
import { simpleTaskConfig } from '../../domain/task-config-fast';
import { workerCouldRefuse } from '../../client/preflight';
import { loadSettings, taskProviderSettings, type FlowSettings } from '../../config/load-config';
import { isPipelineFile } from '../../config/pipeline-file';
import { openBackend } from '../backend';
import { EXIT } from '../exit-codes';
import { printJson } from '../output';
import { planText } from '../plan-output';
import { confirmSpend } from '../spend-gate';
import { configFromFlags, runTarget, type RunFlags } from '../task-flags';
import { followRun, type WaitUntil } from './run-follow';

export interface RunCommandFlags extends RunFlags {
  waitUntil?: string;
  detach?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  forceNew?: boolean;
  json?: boolean;
  quiet?: boolean;
}

const WAIT_UNTIL: readonly string[] = ['submitted', 'running', 'completed'];

/** --wait-until (3.28 spells the end `terminal`; both are accepted), and --detach as `submitted`. */
export function waitUntilOf(flags: Pick<RunCommandFlags, 'waitUntil' | 'detach'>): WaitUntil {
  const given = flags.waitUntil === 'terminal' ? 'completed' : flags.waitUntil;
  if (given !== undefined && !WAIT_UNTIL.includes(given)) {
    throw new ValidationError(`--wait-until: '${flags.waitUntil}' is not one of ${WAIT_UNTIL.join(', ')}`, {
      field: 'waitUntil',
      suggestions: ['submitted prints the id at once (= --detach), running returns once it runs, completed follows it to the end (the default)'],
    });
  }
  if (flags.detach && given !== undefined && given !== 'submitted') {
    throw new ValidationError(`--detach means --wait-until submitted, not --wait-until ${flags.waitUntil}`, { field: 'waitUntil', suggestions: ['Give one of the two'] });
  }
  return flags.detach ? 'submitted' : ((given ?? 'completed') as WaitUntil);
}

/**
 * A local task at the default (zero) price that asks for no shape, image or volume: its plan is
 * the local default shape for $0/h, so the gate would never ask, and the plan's round trip (an
 * offers operation in the worker, about as long as the task's own start) is skipped. The submit
 * validates and preflights it just as the plan would.
 */
function gateCannotAsk(config: TaskConfig, provider: ProviderName, settings: FlowSettings): boolean {
  return !workerCouldRefuse(config, { provider, settings: taskProviderSettings(settings) });
}

/**
 * `flow run [CONFIG_FILE|COMMAND] [EXTRA_ARGS...]`: a dry run prints the plan; otherwise the
 * high-spend gate, the submission, then (unless --wait-until submitted) progress and output.
 * Returns the exit code: attached, the task's own.
 */
export async function runAction(first: string | undefined, extra: string[], flags: RunCommandFlags): Promise<number> {
  const waitUntil = waitUntilOf(flags);
  const target = runTarget(first, extra);
  if (target.file !== undefined && isPipelineFile(target.file)) {
    return (await import('./run-pipeline')).runPipelineAction(target.file, flags, waitUntil, target.command);
  }
  // The dry run shows warnings in its plan rather than on stderr.
  const warnings: string[] = [];
  const config = configFromFlags(target, flags, flags.dryRun ? (warning) => warnings.push(warning) : undefined);
  // Invalid input stops here: nothing is submitted, no daemon started. (The daemon checks the
  // rest — working folder, instance type offered — before it plans or submits.) A simple config
  // skips loading the schemas (zod), with the same result.
  const parsed = simpleTaskConfig(config) ?? parseTaskConfig(config);
  const { numInstances } = parsed;
  const settings = loadSettings();
  const provider = parsed.provider ?? settings.provider;
  assertProviderAvailable(provider);
  const backend = await openBackend(settings);
  try {
    if (flags.dryRun) {
      const plan = await backend.plan(config);
      plan.warnings = [...new Set([...warnings, ...plan.warnings])];
      if (flags.json) printJson(plan);
      else process.stdout.write(planText(plan, process.stdout));
      return EXIT.ok;
    }
    // -y skips the gate, and with it the plan's round trip; so does a task the gate cannot stop.
    if (!flags.yes && !gateCannotAsk(parsed, provider, settings) && !(await confirmSpend(await backend.plan(config), false))) {
      process.stderr.write('Not submitted.\n');
      return EXIT.interrupted;
    }
    const taskId = await backend.submit(config, { forceNew: flags.forceNew });
    if (waitUntil === 'submitted') {
      if (flags.json) printJson({ taskId });
      else process.stdout.write(`${taskId}\n`);
      return EXIT.ok;
    }
    return await followRun(backend, taskId, numInstances, flags, waitUntil);
  } finally {
    await backend.close();
  }
}
