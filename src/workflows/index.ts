// The workflowsPath target: workflow functions only.
export { taskWorkflow } from './task-workflow';
