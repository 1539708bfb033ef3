import {
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  condition,
  setHandler,
  startChild,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { TaskInput } from '../domain/node-spec';
import type { PipelineStepState, TaskOutcome, TaskState } from '../domain/task-status';
import type { ProviderName } from '../domain/task-config';
import { searchableInstanceType } from '../domain/instance-choice';
import { FlowInstanceTypeKey, FlowProviderKey, FlowStatusKey, FlowTaskNameKey, describeQuery, stopSignal } from './definitions';
import { failureInfo } from './failure-info';
import { finishState, setStatus } from './task-state';
import { assertOwnWorkflowId } from './own-id';
import { taskWorkflow } from './task-workflow';

export interface PipelineWorkflowInput {
  pipelineId: string;
  name: string;
  provider: ProviderName;
  steps: Array<{ name: string; dependsOn: string[]; task: TaskInput }>;
}

const FINISHED: ReadonlyArray<PipelineStepState['status']> = ['completed', 'failed', 'cancelled', 'skipped'];

/**
 * Runs each step as a child taskWorkflow once every step it depends on has completed. A step
 * that fails (or is cancelled) skips the steps that depend on it; independent steps go on.
 * The pipeline fails naming its first failed step. Stop stops every running step.
 */
export async function pipelineWorkflow(input: PipelineWorkflowInput): Promise<TaskOutcome> {
  assertOwnWorkflowId(input.pipelineId, 'pipelineId');
  const now = new Date().toISOString();
  const steps: PipelineStepState[] = input.steps.map((step) => ({ name: step.name, taskId: step.task.taskId, dependsOn: step.dependsOn, status: 'waiting' }));
  const state: TaskState = {
    taskId: input.pipelineId,
    name: input.name,
    status: 'pending',
    provider: input.provider,
    instanceType: 'pipeline',
    numInstances: 0,
    pricePerHour: 0,
    costSoFarUsd: 0,
    nodes: [],
    events: [{ at: now, status: 'pending', reason: 'submitted' }],
    createdAt: now,
    steps,
  };
  const running = new Map<string, ChildWorkflowHandle<typeof taskWorkflow>>();
  let stopReason: string | undefined;
  let changed = false;

  // Steps hear of a stop by signal, sent outside any cancelled scope so it always goes out.
  const stopStep = (handle: ChildWorkflowHandle<typeof taskWorkflow>) =>
    CancellationScope.nonCancellable(() => handle.signal(stopSignal, { reason: `pipeline ${input.pipelineId} stopped` })).catch(() => undefined);
  const requestStop = (reason: string) => {
    if (stopReason !== undefined || FINISHED.includes(state.status as PipelineStepState['status'])) return;
    stopReason = reason;
    for (const handle of running.values()) void stopStep(handle);
    changed = true;
  };
  setHandler(describeQuery, () => state);
  setHandler(stopSignal, (request) => requestStop(request.reason ?? 'stopped'));
  // Cancelling the pipeline through Temporal is a stop too: steps stop, the status says so.
  CancellationScope.current().cancelRequested.catch(() => requestStop('cancelled through Temporal'));

  const byName = new Map(steps.map((step) => [step.name, step]));
  const launch = async (index: number) => {
    const step = steps[index]!;
    const task = input.steps[index]!.task;
    step.status = 'pending';
    const handle = await startChild(taskWorkflow, {
      workflowId: task.taskId,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      args: [task],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      memo: { numInstances: task.config.numInstances, pipeline: input.pipelineId },
      typedSearchAttributes: [
        { key: FlowStatusKey, value: 'pending' },
        { key: FlowTaskNameKey, value: task.name },
        { key: FlowInstanceTypeKey, value: searchableInstanceType(task.config) },
        { key: FlowProviderKey, value: task.provider },
      ],
    });
    running.set(step.name, handle);
    step.status = 'running';
    // A stop that came while this step was starting reaches it too.
    if (stopReason !== undefined) await stopStep(handle);
    try {
      const outcome = await handle.result();
      step.status = outcome.status;
      step.exitCode = outcome.exitCode;
      if (outcome.status !== 'completed') step.message = outcome.message ?? outcome.reason;
    } catch (error) {
      step.status = 'failed';
      step.message = failureInfo(error).message;
      const details = (error as { cause?: { details?: Array<{ exitCode?: number | null }> } }).cause?.details?.[0];
      step.exitCode = details?.exitCode ?? null;
    } finally {
      running.delete(step.name);
      changed = true;
    }
  };

  setStatus(state, 'running');
  const launched: Array<Promise<void>> = [];
  // Not cancellable: a cancel from Temporal becomes a stop (above), and the pipeline still waits
  // for its steps to end and records how it ended.
  await CancellationScope.nonCancellable(async () => {
    for (;;) {
      // Skip what can no longer run; start what is ready (unless stopping).
      for (const step of steps) {
        if (step.status !== 'waiting') continue;
        const blocked = step.dependsOn.map((name) => byName.get(name)!).find((dependency) => ['failed', 'cancelled', 'skipped'].includes(dependency.status));
        if (blocked) {
          step.status = 'skipped';
          step.message = `'${blocked.name}' ${blocked.status}`;
        } else if (stopReason !== undefined) {
          step.status = 'cancelled';
          step.message = 'pipeline stopped before it started';
        } else if (step.dependsOn.every((name) => byName.get(name)!.status === 'completed')) {
          launched.push(launch(steps.indexOf(step)));
        }
      }
      if (steps.every((step) => FINISHED.includes(step.status))) break;
      changed = false;
      await condition(() => changed);
    }
    await Promise.all(launched);
  });

  state.endedAt = new Date().toISOString();
  const firstFailed = steps.find((step) => step.status === 'failed');
  if (stopReason !== undefined && firstFailed === undefined) {
    state.reason = 'stopped';
    state.message = stopReason;
    setStatus(state, 'cancelled', 'stopped');
    finishState(state);
    return { taskId: input.pipelineId, status: 'cancelled', exitCode: null, reason: 'stopped', message: stopReason };
  }
  if (firstFailed === undefined && steps.every((step) => step.status === 'completed')) {
    state.reason = 'exit';
    setStatus(state, 'completed', 'all steps completed');
    finishState(state);
    return { taskId: input.pipelineId, status: 'completed', exitCode: 0, reason: 'exit' };
  }
  const culprit = firstFailed ?? steps.find((step) => step.status !== 'completed')!;
  const skipped = steps.filter((step) => step.status === 'skipped').map((step) => step.name);
  state.reason = 'exit';
  state.exitCode = culprit.exitCode ?? null;
  state.message = `step '${culprit.name}' ${culprit.status}: ${culprit.message ?? 'no detail'}${skipped.length ? `; skipped: ${skipped.join(', ')}` : ''}`;
  setStatus(state, 'failed', state.message);
  finishState(state);
  throw ApplicationFailure.create({
    type: 'TaskFailedError',
    message: state.message,
    nonRetryable: true,
    details: [{ exitCode: state.exitCode, suggestions: [`See the step's output: flow logs ${culprit.taskId}`] }],
  });
}
