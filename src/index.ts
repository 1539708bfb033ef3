/**
 * Flow SDK: run GPU work as durable Temporal workflows.
 *
 * ```ts
 * import { Flow } from 'flow-sdk';
 * const flow = await Flow.connect();
 * const task = await flow.run('python train.py', { instanceType: 'a100' });
 * for await (const line of task.logs({ follow: true })) console.log(line);
 * const last20 = await task.logs({ tail: 20 }).text();
 * ```
 */
export { Flow, type ConnectOptions, type RunOptions, type TaskSummary } from './client/flow';
export { Task, type LogOptions } from './client/task';
/** What task.logs() returns: an async iterable of lines, with text() to join them. */
export type { LogLines } from './client/log-lines';
export type { Endpoint, ShellCommand } from './client/task-access';
/** `flow.volumes`: list(), create(), delete() on the configured provider. */
export { Volumes } from './client/volumes';
export { RemoteFunctionError } from './client/invoke';
export * from './domain';
/** TaskConfig.fromYaml(path), TaskConfig.parse(input), TaskConfig.toYaml(config, { style }); also the validated config type. */
export { TaskConfig, type FromYamlOptions, type ToYamlOptions } from './config/task-config-api';
