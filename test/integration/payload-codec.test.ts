import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { flowPaths } from '../../src/config/flow-home';
import { stopDaemon } from '../../src/daemon/daemon-control';
import { readDaemonState } from '../../src/daemon/daemon-state';
import { resolveTemporalBinary } from '../../src/daemon/temporal-binary';
import { parseTaskConfig } from '../../src/domain';
import { codecKeys } from '../../src/security/encryption-keys';
import { openPayloads } from '../../src/security/history-payloads';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING } from '../../src/security/payload-codec';
import { CONTROL_TASK_QUEUE } from '../../src/workflows/definitions';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { createSecondUser, type SecondUser } from '../helpers/second-user';
import { waitFor } from '../helpers/wait-for';

type History = temporal.api.history.v1.IHistory;
const EventType = temporal.api.enums.v1.EventType;

/** Every Payload-shaped object in a history, with its path; search attributes are plain by design. */
function payloadsIn(value: unknown, path = '', out: Array<{ path: string; payload: { metadata?: Record<string, Uint8Array>; data?: Uint8Array } }> = []) {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return out;
  if (path.endsWith('.searchAttributes')) return out;
  const record = value as Record<string, unknown>;
  if ('metadata' in record && record.metadata && typeof record.metadata === 'object' && 'data' in record) {
    out.push({ path, payload: record as { metadata?: Record<string, Uint8Array>; data?: Uint8Array } });
    return out;
  }
  for (const [key, child] of Object.entries(record)) payloadsIn(child, `${path}.${key}`, out);
  return out;
}

/** Keys of the bookkeeping Temporal Core itself writes into a local activity's marker (outside any codec). */
const CORE_MARKER_KEYS = ['activity_id', 'activity_type', 'attempt', 'backoff', 'complete_time', 'original_schedule_time', 'seq'];

/**
 * A local activity marker's `data`: written by Temporal Core, never by the SDK's codec. It holds
 * only the activity's sequence number, type and times (checked here); its result is encrypted.
 */
function isCoreMarkerData(history: History, path: string, payload: { data?: Uint8Array }): boolean {
  const match = /^\.events\.(\d+)\.markerRecordedEventAttributes\.details\.data\.payloads\.0$/.exec(path);
  if (!match) return false;
  const marker = history.events![Number(match[1])]!.markerRecordedEventAttributes!;
  if (marker.markerName !== 'core_local_activity') return false;
  const keys = Object.keys(JSON.parse(Buffer.from(payload.data ?? new Uint8Array()).toString('utf8')) as object).sort();
  assert.ok(keys.every((key) => CORE_MARKER_KEYS.includes(key)), `core marker data holds only bookkeeping: ${keys.join(',')}`);
  return true;
}

/**
 * A patch marker's `patch-data` (patched(), e.g. host-affinity): written by Temporal Core outside
 * any codec. It holds only the patch's name and whether it is deprecated (checked here).
 */
function isCorePatchData(history: History, path: string, payload: { data?: Uint8Array }): boolean {
  const match = /^\.events\.(\d+)\.markerRecordedEventAttributes\.details\.patch-data\.payloads\.0$/.exec(path);
  if (!match) return false;
  const marker = history.events![Number(match[1])]!.markerRecordedEventAttributes!;
  if (marker.markerName !== 'core_patch') return false;
  const data = JSON.parse(Buffer.from(payload.data ?? new Uint8Array()).toString('utf8')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(data).sort(), ['deprecated', 'id'], 'patch data holds only the patch name and flag');
  assert.match(String(data.id), /^[a-z-]+$/, 'a patch name');
  return true;
}

/** Every byte array in a history (payload data and metadata included), concatenated. */
function allBytes(value: unknown, out: Buffer[] = []): Buffer[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value));
  else if (value !== null && typeof value === 'object') for (const child of Object.values(value)) allBytes(child, out);
  return out;
}

/** The secret's base64 at each of the 3 byte alignments, edges trimmed: found wherever it sits. */
function base64Needles(secret: string): string[] {
  return [0, 1, 2].map((pad) => Buffer.concat([Buffer.alloc(pad), Buffer.from(secret)]).toString('base64').slice(pad === 0 ? 0 : pad + 1, -4));
}

describe('payload codec: the server only ever holds encrypted payloads (real daemon)', { timeout: 240_000 }, () => {
  let h: FlowHarness;
  let plain: Client;
  let plainConnection: Connection;
  let address: string;
  const secret = `sekret-${randomBytes(8).toString('hex')}`;
  const scratch = join('/tmp', `flow-codec-${randomBytes(4).toString('hex')}`);
  before(async () => {
    mkdirSync(scratch, { recursive: true });
    // FLOW_HOME does not exist yet, inside a folder anyone may enter: Flow creates it as a
    // first run on a real machine would, so the second user's view below is the default one.
    chmodSync(scratch, 0o755);
    h = await startFlow('flow-codec-', { FLOW_HOME: join(scratch, 'home') });
    h.home = join(scratch, 'home');
    address = readDaemonState(flowPaths(h.home).daemonState)!.address;
    // A client WITHOUT the codec: what anyone reading the server sees.
    plainConnection = await Connection.connect({ address });
    plain = new Client({ connection: plainConnection, namespace: 'default' });
  });
  after(async () => {
    await plainConnection?.close();
    await h?.stop();
    await stopDaemon(join(scratch, 'home'));
    rmSync(scratch, { recursive: true, force: true });
  });

  const history = async (workflowId: string): Promise<History> => plain.workflow.getHandle(workflowId).fetchHistory();

  test('inputs, results, memos, markers and failures are encrypted; the secret is nowhere in history', async () => {
    // Each outlasts the launch step's quick-end window, so a follow step (an activity) is in history.
    const ok = await h.flow.run({ command: 'sleep 0.5; echo "$GREETING, token of ${#TOKEN} chars"', secrets: { TOKEN: secret }, env: { GREETING: 'hello' } });
    assert.equal((await ok.wait()).status, 'completed');
    const failing = await h.flow.run({ command: 'sleep 0.5; exit 3', secrets: { TOKEN: secret }, env: { GREETING: 'hello' } });
    await assert.rejects(failing.wait());

    for (const taskId of [ok.taskId, failing.taskId]) {
      const events = await history(taskId);
      const payloads = payloadsIn(events);
      assert.ok(payloads.length >= 3, `history of ${taskId} holds payloads (${payloads.length})`);
      const plainOnes = payloads.filter(({ path, payload }) => Buffer.from(payload.metadata?.encoding ?? new Uint8Array()).toString() !== ENCRYPTED_ENCODING && !isCoreMarkerData(events, path, payload) && !isCorePatchData(events, path, payload));
      assert.deepEqual(plainOnes.map(({ path }) => path), [], `every payload of ${taskId} is encrypted`);
      // Each kind the issue names is there, and so checked above.
      const paths = payloads.map(({ path }) => path).join('\n');
      assert.match(paths, /workflowExecutionStartedEventAttributes\.input/);
      assert.match(paths, /activityTaskScheduledEventAttributes\.input/);
      assert.match(paths, /activityTaskCompletedEventAttributes\.result/);
      assert.match(paths, /memo/);
      assert.match(paths, /markerRecordedEventAttributes\.details\.result/);
      const bytes = Buffer.concat(allBytes(events));
      assert.ok(!bytes.includes(secret), `the secret's bytes are not in ${taskId}'s history`);
      const json = JSON.stringify(temporal.api.history.v1.History.toObject(temporal.api.history.v1.History.fromObject(events), { bytes: String }));
      assert.ok(!json.includes(secret), 'nor in its JSON');
      for (const needle of base64Needles(secret)) assert.ok(!json.includes(needle), `nor in its JSON as base64 (${needle.length} chars)`);
    }
    const failed = await history(failing.taskId);
    const closing = failed.events!.at(-1)!;
    assert.equal(closing.eventType, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);
    assert.ok(payloadsIn(closing).some(({ path }) => path.includes('failure')), 'the failure details are in history, encrypted');
    // Its message and stack trace travel in the encrypted encodedAttributes, not as plain fields.
    const failure = closing.workflowExecutionFailedEventAttributes?.failure;
    assert.equal(failure?.message, 'Encoded failure');
    assert.equal(failure?.stackTrace ?? '', '');
    assert.ok(payloadsIn(closing).some(({ path }) => path.includes('encodedAttributes')), 'the message is an encrypted payload');
    await assert.rejects(failing.wait(), /exited with code 3/, 'the codec client reads the message back');
    // The codec client reads it all back: the listing decodes memos.
    const listed = await h.flow.listTasks();
    assert.equal(listed.find((task) => task.taskId === ok.taskId)?.numInstances, 1);
  });

  test('input copied from an old task and started under a new workflow id is refused before any command', async () => {
    const runs = join(scratch, 'replay-runs.txt');
    const original = await h.flow.run({ command: `echo ran >> ${runs}`, secrets: { TOKEN: secret } });
    await original.wait();
    assert.equal(readFileSync(runs, 'utf8'), 'ran\n');
    const started = (await history(original.taskId)).events![0]!.workflowExecutionStartedEventAttributes!;
    const replayId = `replayed-${randomBytes(4).toString('hex')}`;
    await plainConnection.workflowService.startWorkflowExecution({
      namespace: 'default',
      workflowId: replayId,
      workflowType: { name: 'taskWorkflow' },
      taskQueue: { name: CONTROL_TASK_QUEUE },
      input: started.input,
      identity: 'replay-attacker',
      requestId: randomUUID(),
    });
    await assert.rejects(h.flow.client.workflow.getHandle(replayId).result(), (error: Error) => {
      assert.ok(error instanceof WorkflowFailedError);
      assert.ok(error.cause instanceof ApplicationFailure);
      assert.equal(error.cause.type, 'ValidationError');
      assert.equal(error.cause.nonRetryable, true);
      assert.match(error.cause.message, /does not match the workflow id/);
      return true;
    });
    const events = (await history(replayId)).events!;
    assert.equal(events.filter((event) => event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).length, 0, 'no activity was scheduled');
    assert.equal(readFileSync(runs, 'utf8'), 'ran\n', 'the command did not run again');
  });

  describe('as a second local user', () => {
    let user: SecondUser;
    before(() => {
      user = createSecondUser();
    });
    after(() => user?.remove());

    test('a taskWorkflow started on the frontend without the key runs no command', async () => {
      const marker = join('/tmp', `flow-evil-marker-${randomBytes(4).toString('hex')}`);
      const workflowId = `evil-${randomBytes(4).toString('hex')}`;
      const config = parseTaskConfig({ command: `touch ${marker}` });
      const input = JSON.stringify({ taskId: workflowId, name: 'evil', provider: 'local', config });
      // The very binary the dev server runs (PATH may hold a shim the other user cannot run).
      const serverPid = readDaemonState(flowPaths(h.home).daemonState)?.serverPid;
      const temporalBin = user.executable(serverPid ? realpathSync(`/proc/${serverPid}/exe`) : resolveTemporalBinary(process.env));
      const start = user.run([temporalBin, 'workflow', 'start', '--address', address, '--type', 'taskWorkflow', '--task-queue', CONTROL_TASK_QUEUE, '--workflow-id', workflowId, '--input', input]);
      assert.equal(start.status, 0, `the frontend takes the start (it has no auth): ${start.stderr}`);
      try {
        // A positive signal that the worker has looked at it: it failed the workflow task.
        await waitFor(
          async () => (await history(workflowId)).events!.some((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED),
          { timeoutMs: 60_000, message: 'the worker failed the unauthenticated workflow task' },
        );
        const failedTask = (await history(workflowId)).events!.find((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)!;
        // The worker's reason travels encrypted too: opened with the key, it says why.
        const failure = failedTask.workflowTaskFailedEventAttributes?.failure;
        assert.equal(failure?.message, 'Encoded failure');
        const codec = new AesGcmPayloadCodec(codecKeys({ home: h.home, embedded: true })!);
        const opened = await openPayloads(failure!.encodedAttributes!, codec);
        assert.match(JSON.parse(Buffer.from(opened.data!).toString()).message, /not encrypted/);
        const events = (await history(workflowId)).events!;
        assert.equal(events.filter((event) => event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).length, 0);
        assert.equal(existsSync(marker), false, 'the command never ran');
      } finally {
        await plain.workflow.getHandle(workflowId).terminate('test: unauthenticated start').catch(() => undefined);
        rmSync(marker, { force: true });
      }
    });

    test('cannot read the logs, a volume or the daemon socket', async () => {
      const paths = flowPaths(h.home);
      assert.equal(statSync(h.home).mode & 0o777, 0o700, 'Flow created FLOW_HOME private to its user');
      const volume = await h.flow.volumes.create({ name: `private-${randomBytes(3).toString('hex')}`, sizeGb: 1 });
      const volumeDir = join(paths.volumes, volume.name);
      assert.ok(existsSync(volumeDir), `volume folder at ${volumeDir}`);
      const socket = readDaemonState(paths.daemonState)!.apiSocket;
      assert.ok(socket && existsSync(socket), 'the daemon serves its socket');
      for (const [what, args] of [
        ['logs', ['ls', paths.logs]],
        ['a volume', ['ls', volumeDir]],
        ['the daemon socket', ['cat', socket!]],
        ['the key file', ['cat', join(paths.daemonDir, 'encryption-keys.json')]],
      ] as const) {
        const result = user.run([...args]);
        assert.notEqual(result.status, 0, `${what}: ${result.stdout}`);
        assert.match(result.stderr, /Permission denied/, `${what} is refused with EACCES`);
      }
    });
  });
});
