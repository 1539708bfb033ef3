import { ApplicationFailure } from '@temporalio/workflow';

export interface FailureInfo {
  type?: string;
  message: string;
  suggestions: string[];
}

/** The type, message and suggestions of the ApplicationFailure inside an activity or child failure. */
export function failureInfo(error: unknown): FailureInfo {
  let current: unknown = error;
  while (current && typeof current === 'object') {
    if (current instanceof ApplicationFailure) {
      const details = (current.details?.[0] ?? {}) as { suggestions?: string[] };
      return { type: current.type ?? undefined, message: current.message, suggestions: details.suggestions ?? [] };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return { message: error instanceof Error ? error.message : String(error), suggestions: [] };
}
