// `flow run pipeline.yaml`: submits the pipeline, then (attached) shows each step's status and
// output, prefixed with the step's name, until the pipeline ends.
import { TaskFailedError, ValidationError, type PipelineConfig, type PipelineStepState, type TaskState } from '../../domain';
import { readPipelineFile } from '../../config/pipeline-file';
import { followPipelineLines } from '../../logs/pipeline-logs';
import { openBackend, type TaskBackend } from '../backend';
import { EXIT } from '../exit-codes';
import { exitWhenFlushed, writeOut } from '../process-exit';
import { colors, printJson, statusColor } from '../output';
import type { RunCommandFlags } from './run-action';
import type { WaitUntil } from './run-follow';

/** Flags that describe one task; a pipeline sets them per step in its file. */
const TASK_FLAGS = [
  'instanceType', 'numInstances', 'nodes', 'name', 'region', 'maxPricePerHour', 'maxPrice', 'maxRunTime', 'image', 'provider', 'workdir',
  'uploadCode', 'idempotencyKey', 'forceNew', 'unique', 'priority', 'codeRoot',
] as const;
const TASK_LIST_FLAGS = ['env', 'secret', 'secretFile', 'volume', 'mount', 'port', 'sshKeys'] as const;

export async function runPipelineAction(path: string, flags: RunCommandFlags, waitUntil: WaitUntil, command?: string): Promise<number> {
  const given = TASK_FLAGS.find((flag) => flags[flag] !== undefined) ?? TASK_LIST_FLAGS.find((flag) => (flags[flag]?.length ?? 0) > 0);
  if (given) {
    throw new ValidationError(`${given}: task flags do not apply to a pipeline file`, { field: given, suggestions: [`Set it per step in ${path}`] });
  }
  if (command !== undefined) {
    throw new ValidationError(`command: '${command}' after a pipeline file: each step has its command in the file`, { field: 'command', suggestions: [`Set it per step in ${path}`] });
  }
  // A pipeline's plan would be its steps' plans; until then, refused rather than half done.
  if (flags.dryRun || waitUntil === 'running') {
    const flag = flags.dryRun ? '--dry-run' : '--wait-until running';
    throw new ValidationError(`${flag}: not supported for a pipeline file yet`, { field: flags.dryRun ? 'dryRun' : 'waitUntil', suggestions: ['Run it attached, or with --detach'] });
  }
  const { config, raw } = readPipelineFile(path); // invalid input stops here: nothing submitted
  const backend = await openBackend();
  try {
    const pipelineId = await backend.submitPipeline(raw);
    if (waitUntil === 'submitted') {
      if (flags.json) printJson({ taskId: pipelineId });
      else process.stdout.write(`${pipelineId}\n`);
      return EXIT.ok;
    }
    return await followPipeline(backend, pipelineId, config, flags);
  } finally {
    await backend.close();
  }
}

async function followPipeline(backend: TaskBackend, pipelineId: string, config: PipelineConfig, flags: RunCommandFlags): Promise<number> {
  const c = colors(process.stderr, flags.json);
  const say = (text: string) => !flags.json && !flags.quiet && process.stderr.write(`${text}\n`);
  say(c.dim(`Pipeline ${pipelineId} submitted: ${config.steps.map((step) => step.name).join(', ')}`));
  process.once('SIGINT', () => {
    process.stderr.write(`\nDetached; ${pipelineId} keeps running.\n  status: flow status ${pipelineId}\n  cancel: flow cancel ${pipelineId}\n`);
    void exitWhenFlushed(EXIT.interrupted);
  });
  const ended = backend.wait(pipelineId);
  ended.catch(() => undefined);

  // Each step's status as it changes; its output (lines tagged [step]) from the moment it starts.
  const shown = new Map<string, PipelineStepState['status']>();
  const showSteps = (state: TaskState) => {
    for (const step of state.steps ?? []) {
      const first = !shown.has(step.name);
      if (shown.get(step.name) === step.status) continue;
      shown.set(step.name, step.status);
      if (first && step.status === 'waiting') continue;
      const color = step.status === 'skipped' || step.status === 'waiting' ? c.dim : statusColor(step.status, c);
      say(color(`● ${step.name} ${step.status}${step.message ? ` (${step.message})` : ''}`));
    }
  };
  for await (const line of followPipelineLines(backend, pipelineId, { ended, onState: showSteps })) if (!flags.json) await writeOut(`${line}\n`);
  try {
    const outcome = await ended;
    if (flags.json) printJson(outcome);
    say(statusColor(outcome.status, c)(`● pipeline ${outcome.status}`));
    return outcome.status === 'completed' ? EXIT.ok : EXIT.failure;
  } catch (error) {
    if (!(error instanceof TaskFailedError)) throw error;
    if (flags.json) printJson({ taskId: pipelineId, status: 'failed', exitCode: error.exitCode, message: error.message });
    if (!flags.json) process.stderr.write(`${c.red(`● pipeline failed: ${error.message}`)}\n`);
    return error.exitCode !== null && error.exitCode > 0 && error.exitCode < 256 ? error.exitCode : EXIT.failure;
  }
}
