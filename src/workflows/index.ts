// The workflowsPath target: workflow functions only.
export { taskWorkflow } from './task-workflow';
export { nodeWorkflow } from './node-workflow';
export { pipelineWorkflow } from './pipeline-workflow';
export { hostLeaseWorkflow } from './host-lease';
export { providerOperationWorkflow } from './provider-operation-workflow';
export { reaperWorkflow } from './reaper-workflow';
