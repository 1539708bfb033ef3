import type { Client } from '@temporalio/client';
import type { FlowSettings } from '../config/load-config';
import type { PipelineConfig, TaskInput } from '../domain';
import type { PipelineWorkflowInput, pipelineWorkflow } from '../workflows/pipeline-workflow';
import { CONTROL_TASK_QUEUE, FlowInstanceTypeKey, FlowProviderKey, FlowStatusKey, FlowTaskNameKey } from '../workflows/definitions';
import { newTaskId } from './task-id';

/**
 * Starts a validated pipeline; returns its id (`<name>-<6 hex>`). Each step becomes a task
 * `<pipeline id>-<step>`, started by the pipeline once its dependencies have completed.
 */
export async function startPipeline(client: Client, settings: FlowSettings, pipeline: PipelineConfig, options: { codeDir?: string } = {}): Promise<string> {
  const pipelineId = newTaskId(pipeline.name);
  const provider = pipeline.steps[0]?.config.provider ?? settings.provider;
  const codeDir = options.codeDir ?? process.cwd();
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
      };
      return { name: step.name, dependsOn: step.dependsOn, task };
    }),
  };
  await client.workflow.start<typeof pipelineWorkflow>('pipelineWorkflow', {
    taskQueue: CONTROL_TASK_QUEUE,
    workflowId: pipelineId,
    args: [input],
    memo: { numInstances: 0, steps: pipeline.steps.length },
    typedSearchAttributes: [
      { key: FlowStatusKey, value: 'pending' },
      { key: FlowTaskNameKey, value: pipeline.name },
      { key: FlowInstanceTypeKey, value: 'pipeline' },
      { key: FlowProviderKey, value: provider },
    ],
  });
  return pipelineId;
}
