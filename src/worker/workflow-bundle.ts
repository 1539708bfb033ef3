import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The workflow bundle prebuilt by `npm run build`; workers load it instead of bundling at start. */
export const WORKFLOW_BUNDLE_PATH = join(__dirname, '..', '..', 'workflow-bundle.js');

/**
 * Frames kept in a stack trace inside the workflow sandbox (V8's default is 10). The SDK captures
 * and source-maps a stack for every promise a workflow creates (for its stack-trace query), which
 * cost about as much per task as the rest of the workflow code; two of the frames are the SDK's
 * own hook. Set by the bundle's first statement: the SDK freezes the sandbox's globals after
 * loading the bundle, so workflow code could not set it later.
 */
export const WORKFLOW_STACK_TRACE_LIMIT = 5;

/** What the built bundle starts with (see WORKFLOW_STACK_TRACE_LIMIT), on its first line. */
export function workflowBundlePrelude(): string {
  return `Error.stackTraceLimit = ${WORKFLOW_STACK_TRACE_LIMIT}; `;
}

export function workflowSource(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  return existsSync(WORKFLOW_BUNDLE_PATH)
    ? { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }
    : { workflowsPath: require.resolve('../workflows') };
}
