import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces travel as an encoded payload (so the payload codec encrypts
 * them) instead of plain fields of the failure. Loaded by path: the workflow bundle, workers and
 * clients all use this one module (the SDK requires the export to be named `failureConverter`).
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
