/** How `flow.invoke` and its runner talk: marker lines in the task's output, base64 JSON after them. */
export const RESULT_MARKER = '__FLOW_INVOKE_RESULT__';
export const ERROR_MARKER = '__FLOW_INVOKE_ERROR__';
/** Arguments travel in this variable (base64 JSON). */
export const ARGS_VARIABLE = 'FLOW_INVOKE_ARGS';
/** Larger arguments or results belong in a volume: pass its path instead. */
export const MAX_ARGS_BYTES = 64 * 1024;
export const MAX_RESULT_BYTES = 1024 * 1024;

export interface RemoteErrorInfo {
  name: string;
  message: string;
  stack?: string;
}

export function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value) ?? 'null', 'utf8').toString('base64');
}

export function decode<T>(text: string): T {
  return JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as T;
}
