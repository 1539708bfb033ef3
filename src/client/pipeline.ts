import { WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import type { PipelineConfig, TaskInput } from '../domain';
import type { PipelineWorkflowInput, pipelineWorkflow } from '../workflows/pipeline-workflow';
import { CONTROL_TASK_QUEUE, FlowInstanceTypeKey, FlowProviderKey, FlowStatusKey, FlowTaskNameKey } from '../workflows/definitions';
import type { SubmissionSettings } from './flow';
import { startWithFreshId } from './task-id';

/**
 * Starts a validated pipeline; returns its id (`<name>-<6 hex>`). Each step becomes a task
 * `<pipeline id>-<step>`, started by the pipeline once its dependencies have completed.
 */
export async function startPipeline(client: Client, settings: SubmissionSettings, pipeline: PipelineConfig, options: { codeDir?: string } = {}): Promise<string> {
  return startWithFreshId(pipeline.name, (pipelineId) => client.workflow.start<typeof pipelineWorkflow>('pipelineWorkflow', pipelineStartOptions(pipelineId, settings, pipeline, options.codeDir ?? process.cwd())));
}

/** The pipeline's workflow start: its id is never reused, each step a task `<pipeline id>-<step>`. */
function pipelineStartOptions(pipelineId: string, settings: SubmissionSettings, pipeline: PipelineConfig, codeDir: string) {
  const provider = pipeline.steps[0]?.config.provider ?? settings.provider;
  const input: PipelineWorkflowInput = {
    pipelineId,
    name: pipeline.name,
    provider,
    steps: pipeline.steps.map((step) => {
      const task: TaskInput = {
        taskId: `${pipelineId}-${step.name}`,
        name: step.config.name ?? `${pipeline.name}-${step.name}`,
        provider: step.config.provider ?? settings.provider,
        config: step.config,
        codeDir,
        providerSettings: settings.providerSettings,
      };
      return { name: step.name, dependsOn: step.dependsOn, task };
    }),
  };
  return {
    taskQueue: CONTROL_TASK_QUEUE,
    workflowId: pipelineId,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    args: [input] as [PipelineWorkflowInput],
    memo: { numInstances: 0, steps: pipeline.steps.length },
    typedSearchAttributes: [
      { key: FlowStatusKey, value: 'pending' },
      { key: FlowTaskNameKey, value: pipeline.name },
      { key: FlowInstanceTypeKey, value: 'pipeline' },
      { key: FlowProviderKey, value: provider },
    ],
  };
}
