import { request, type RequestOptions } from 'node:http';
import { DaemonError, errorFromJson, type ErrorJson, type TaskConfigInput, type TaskOutcome, type TaskState, type TaskStatus } from '../domain';
import { API_ROUTES } from '../daemon/api-protocol';
import type { ListTasksOptions, SubmissionSettings, TaskSummary } from './flow';
import type { ProviderOperationName, ProviderOperationResult } from '../domain';
import type { ProviderOperationRequestOf, ProviderOperations } from './provider-ops';
import type { TaskPlan } from './plan';
import type { TaskProgress } from './task';

/** The socket could not be reached or the connection dropped (e.g. the daemon restarted). */
export class DaemonUnreachableError extends DaemonError {}

/** A thin client of the daemon's local API (see daemon/api-protocol). Loads no Temporal code. */
export class DaemonApi implements ProviderOperations {
  constructor(private readonly socketPath: string) {}

  private call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const options: RequestOptions & { servername: string } = {
        socketPath: this.socketPath,
        method,
        path,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
        // A TLS name is meaningless on a local socket; without one, Node's agent asks net.isIP
        // whether "localhost" is an address: its IPv6 pattern costs ms at each request of a fresh CLI.
        servername: '',
      };
      const req = request(
        options,
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            try {
              const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as T & { error?: ErrorJson };
              if (parsed.error) reject(errorFromJson(parsed.error));
              else resolve(parsed);
            } catch (error) {
              reject(new DaemonError(`The Flow daemon sent an unreadable answer: ${(error as Error).message}`));
            }
          });
          response.on('error', reject);
        },
      );
      req.on('error', (error) => reject(new DaemonUnreachableError(`Lost the Flow daemon: ${error.message}`, ['Check it with: flow daemon status'])));
      req.end(payload);
    });
  }

  async submit(config: TaskConfigInput, codeDir: string, settings: SubmissionSettings, options: { forceNew?: boolean } = {}): Promise<string> {
    return (await this.call<{ taskId: string }>('POST', API_ROUTES.tasks, { config, codeDir, settings, forceNew: options.forceNew })).taskId;
  }

  async plan(config: TaskConfigInput, settings: SubmissionSettings): Promise<TaskPlan> {
    try {
      return (await this.call<{ plan: TaskPlan }>('POST', API_ROUTES.plans, { config, settings })).plan;
    } catch (error) {
      // A daemon started by an older Flow lacks the route: say how to get a current one.
      if (error instanceof Error && error.message.startsWith('no such API route')) {
        throw new DaemonError('The running Flow daemon is older than this CLI (it cannot plan a task)', ['Restart it with: flow daemon stop (the next command starts it again; running tasks resume)']);
      }
      throw error;
    }
  }

  /** One provider operation, run by the daemon's worker. */
  async run<O extends ProviderOperationName>(request: ProviderOperationRequestOf<O>): Promise<ProviderOperationResult<O>> {
    try {
      return (await this.call<{ result: ProviderOperationResult<O> }>('POST', API_ROUTES.providerOperations, { request })).result;
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('no such API route')) {
        throw new DaemonError('The running Flow daemon is older than this CLI (it cannot run provider operations)', ['Restart it with: flow daemon stop (the next command starts it again; running tasks resume)']);
      }
      throw error;
    }
  }

  async submitPipeline(pipeline: unknown, codeDir: string, settings: SubmissionSettings): Promise<string> {
    return (await this.call<{ taskId: string }>('POST', API_ROUTES.pipelines, { pipeline, codeDir, settings })).taskId;
  }

  async resolve(idOrPrefix: string): Promise<string> {
    return (await this.call<{ taskId: string }>('GET', `${API_ROUTES.resolve}?${new URLSearchParams({ task: idOrPrefix })}`)).taskId;
  }

  async wait(taskId: string): Promise<TaskOutcome> {
    return (await this.call<{ outcome: TaskOutcome }>('GET', API_ROUTES.outcome(taskId))).outcome;
  }

  async status(taskId: string): Promise<TaskStatus> {
    return (await this.progress(taskId)).status;
  }

  progress(taskId: string): Promise<TaskProgress> {
    return this.call<TaskProgress>('GET', API_ROUTES.status(taskId));
  }

  describe(taskId: string): Promise<TaskState> {
    return this.call<TaskState>('GET', API_ROUTES.task(taskId));
  }

  async stop(taskId: string, reason?: string): Promise<TaskOutcome> {
    return (await this.call<{ outcome: TaskOutcome }>('POST', API_ROUTES.stop(taskId), { reason })).outcome;
  }

  async list(options: ListTasksOptions): Promise<TaskSummary[]> {
    const query = new URLSearchParams();
    if (options.status) query.set('status', [options.status].flat().join(','));
    if (options.limit) query.set('limit', String(options.limit));
    if (options.activeOrSince) query.set('activeOrSince', options.activeOrSince.toISOString());
    const { tasks } = await this.call<{ tasks: Array<TaskSummary & { createdAt: string; endedAt?: string }> }>('GET', `${API_ROUTES.tasks}?${query}`);
    return tasks.map((t) => ({ ...t, createdAt: new Date(t.createdAt), endedAt: t.endedAt ? new Date(t.endedAt) : undefined }));
  }
}
