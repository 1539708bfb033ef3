/**
 * The client's way to a provider: every operation runs in the worker, through
 * providerOperationWorkflow on the control queue (issue 11, "The contract grows first"). The client
 * builds no provider and imports none: a remote provider's credentials stay with the worker.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import {
  FlowError,
  ProviderError,
  ValidationError,
  errorFromType,
  type ProviderOperationName,
  type ProviderOperationRequest,
  type ProviderOperationResult,
} from '../domain';
import { CONTROL_TASK_QUEUE } from '../workflows/definitions';
import { applicationFailureOf } from './errors';
import type { ProviderOperationInput, providerOperationWorkflow } from '../workflows/provider-operation-workflow';

/** One operation's request, by its `op`. */
export type ProviderOperationRequestOf<O extends ProviderOperationName> = Extract<ProviderOperationRequest, { op: O }>;

/** Runs provider operations somewhere that holds the providers: the worker (ProviderOps) or the daemon's API. */
export interface ProviderOperations {
  run<O extends ProviderOperationName>(request: ProviderOperationRequestOf<O>): Promise<ProviderOperationResult<O>>;
}

/** How long an operation may take before the client gives up (no worker, or one that never answers). */
const OPERATION_DEADLINE_MS = 5 * 60 * 1000;
/** An exec's deadline beyond its own timeout (matches the workflow's activity margin, plus the round trips). */
const EXEC_MARGIN_MS = 2 * 60 * 1000;
const EXEC_DEFAULT_DEADLINE_MS = 60 * 60 * 1000;

/** A failed operation as the Flow error the worker threw (type, message, field and suggestions kept). */
export function operationError(error: unknown, op: ProviderOperationName): unknown {
  if (error instanceof FlowError || !(error instanceof WorkflowFailedError)) return error;
  const failure = applicationFailureOf(error);
  if (failure === undefined) {
    return new ProviderError(`Provider operation ${op} did not finish: ${error.message}`, { retryable: true, suggestions: ['Check the worker with: flow daemon status'] });
  }
  const details = (failure.details?.[0] ?? {}) as { suggestions?: string[]; field?: string };
  if (failure.type === 'ValidationError') return new ValidationError(failure.message, { field: details.field, suggestions: details.suggestions });
  return errorFromType(failure.type, failure.message, details.suggestions) ?? new ProviderError(failure.message, { retryable: false, suggestions: details.suggestions });
}

/** Provider operations through Temporal: each one a short workflow with a fresh id, awaited. */
export class ProviderOps implements ProviderOperations {
  constructor(private readonly client: Client) {}

  async run<O extends ProviderOperationName>(request: ProviderOperationRequestOf<O>): Promise<ProviderOperationResult<O>> {
    const operationId = `flow-op-${randomBytes(8).toString('hex')}`;
    const asked: ProviderOperationRequest = request;
    const deadline = asked.op === 'exec' ? (asked.options?.timeoutMs ?? EXEC_DEFAULT_DEADLINE_MS) + EXEC_MARGIN_MS : OPERATION_DEADLINE_MS;
    try {
      const result = await this.client.workflow.execute<typeof providerOperationWorkflow>('providerOperationWorkflow', {
        taskQueue: CONTROL_TASK_QUEUE,
        workflowId: operationId,
        args: [{ operationId, request } satisfies ProviderOperationInput],
        workflowExecutionTimeout: deadline,
      });
      return result as ProviderOperationResult<O>;
    } catch (error) {
      throw operationError(error, request.op);
    }
  }
}
