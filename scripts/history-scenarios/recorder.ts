/**
 * What every scenario group of scripts/record-histories.ts shares: saving a workflow's history
 * (payloads opened, so fixtures replay without a key) into the output folder, and a polling wait.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Flow } from '../../src/client/flow';
import { ensureKeyFile } from '../../src/security/encryption-keys';
import { openPayloads } from '../../src/security/history-payloads';
import { AesGcmPayloadCodec } from '../../src/security/payload-codec';
import { historyToText } from '../../test/helpers/history-file';

export interface FixtureEntry {
  file: string;
  workflowId: string;
}

export interface Recorder {
  /** The output folder (test/fixtures/histories/vN). */
  out: string;
  /** A temporary folder for markers the scenarios need; removed at the end. */
  scratch: string;
  /** Every fixture saved so far (the index the replay test reads). */
  recorded: FixtureEntry[];
}

/** Saves the history of `workflowId` (its latest run, or `runId`) as `<scenario>.json`. */
export async function saveHistory(recorder: Recorder, daemon: { flow: Flow; home: string }, scenario: string, workflowId: string, runId?: string): Promise<void> {
  const codec = new AesGcmPayloadCodec(ensureKeyFile(daemon.home));
  const history = await openPayloads(await daemon.flow.client.workflow.getHandle(workflowId, runId).fetchHistory(), codec);
  const file = `${scenario}.json`;
  writeFileSync(join(recorder.out, file), historyToText(history));
  recorder.recorded = [...recorder.recorded.filter((entry) => entry.file !== file), { file, workflowId }];
}

/** Polls `check` every 50 ms until it returns something truthy; throws naming `what` after the deadline. */
export async function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The closed executions of one workflow type, newest first (visibility lags a little: waits for `min`). */
export async function executionsOf(flow: Flow, workflowType: string, min = 1): Promise<Array<{ workflowId: string; runId: string }>> {
  return until(async () => {
    const found: Array<{ workflowId: string; runId: string }> = [];
    for await (const execution of flow.client.workflow.list({ query: `WorkflowType = '${workflowType}' AND ExecutionStatus != 'Running'` })) {
      found.push({ workflowId: execution.workflowId, runId: execution.runId });
    }
    return found.length >= min && found;
  }, `${min} closed ${workflowType} execution(s) listed`);
}
