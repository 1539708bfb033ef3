import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import type { Task } from '../../src/client/task';
import { CONTROL_TASK_QUEUE } from '../../src/workflows/definitions';
import { hostLeaseWorkflowId, releaseLeaseSignal } from '../../src/workflows/host-lease';
import { PENDING_HISTORY_LIMIT } from '../../src/workflows/pending-continue';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { startSshHosts, type SshHosts } from '../helpers/ssh-hosts';
import { writeFleetConfig } from '../helpers/ssh-fleet';
import { waitFor } from '../helpers/wait-for';
import { runsOf } from '../helpers/workflow-runs';

const SSH = { provider: 'ssh', uploadCode: false } as const;
/** The most events one run may hold: the limit, the round that crossed it and the hand-over. */
const RUN_BOUND = PENDING_HISTORY_LIMIT + 20;
/** Seconds between the failed first attempt and the restart: the window in which the test takes the hosts. */
const BACKOFF_S = 8;

/**
 * A task waiting for fleet hosts holds nothing: it waits in an activity until the hosts look free
 * and continues as new when its history grows long (workflows/host-lease-wait). A host is made busy
 * where the offer cannot see it: between an attempt that failed and its restart (the restart reuses
 * the offer), the test takes the hosts' leases itself. Each wait for hosts returns at once
 * (FLOW_HOST_WAIT_MAX_MS=0), so hours of waiting play in seconds.
 */
describe('a task waiting for a busy fleet keeps its history bounded', { timeout: 300_000 }, () => {
  let fleet: SshHosts;
  let h: FlowHarness;
  let scratch: string;
  before(async () => {
    fleet = await startSshHosts({ count: 2 });
    h = await startFlow('flow-host-wait-', { FLOW_HOST_WAIT_MAX_MS: '0' });
    writeFleetConfig(h.home, fleet);
    scratch = mkdtempSync(join(tmpdir(), 'flow-host-wait-'));
  });
  after(async () => {
    await h?.stop();
    await fleet?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Takes a host's lease as another holder would, once the task's own lease of it has ended. */
  const holdHost = (host: string): Promise<WorkflowHandle> =>
    waitFor(async () => {
      try {
        return await h.flow.client.workflow.start('hostLeaseWorkflow', {
          workflowId: hostLeaseWorkflowId('ssh', host),
          taskQueue: CONTROL_TASK_QUEUE,
          args: [{ provider: 'ssh', host, taskId: 'another-task', rank: 0, attempt: 0 }],
        });
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) return undefined;
        throw error;
      }
    }, { timeoutMs: BACKOFF_S * 1000, intervalMs: 50, message: `the lease of ${host}` });

  /** Runs `command` (first attempt fails) and takes `hosts` while it waits to restart. */
  async function restartOnBusyHosts(command: string, numInstances: number, hosts: string[]): Promise<{ task: Task; held: WorkflowHandle[] }> {
    const task = await h.flow.run(command, { ...SSH, numInstances, retry: { onError: true, maxRestarts: 1, backoff: BACKOFF_S } });
    await waitFor(async () => (await task.describe()).events.some((event) => /^restart 1 of 1/.test(event.reason ?? '')), { timeoutMs: 60_000, intervalMs: 50, message: 'the first attempt failed' });
    const held = await Promise.all(hosts.map(holdHost));
    return { task, held };
  }

  async function assertBoundedRuns(taskId: string) {
    const runs = await waitFor(async () => {
      const current = await runsOf(h.flow.client, taskId);
      return current.filter((run) => run.status === 'CONTINUED_AS_NEW').length >= 2 && current;
    }, { timeoutMs: 150_000, intervalMs: 1000, message: 'the waiting task continued as new twice' });
    console.log(`# waiting for hosts: ${runs.length} runs of ${runs.map((run) => run.events).join(', ')} events`);
    for (const run of runs) assert.ok(run.events <= RUN_BOUND, `run ${run.runId} holds ${run.events} events (bound ${RUN_BOUND})`);
    assert.deepEqual(new Set(runs.map((run) => run.firstRunId)), new Set([runs[0]!.runId]), 'every run names the first run (logs keep their run key)');
  }

  test('a single rank waits boundedly for a host, gets it once freed, and its restart goes on (log whole, count kept)', async () => {
    const marker = join(scratch, 'single-ran');
    const command = `if [ -e '${marker}' ]; then echo second run; exit 0; fi; touch '${marker}'; echo first run; exit 1`;
    const { task, held } = await restartOnBusyHosts(command, 1, ['h0', 'h1']);
    await assertBoundedRuns(task.taskId);
    const waiting = await task.describe();
    assert.match(waiting.waitingReason ?? '', /waiting for a free host of 2 \(0 free now\)/);

    await held[1]!.signal(releaseLeaseSignal);
    assert.equal((await task.wait()).status, 'completed');
    await held[0]!.signal(releaseLeaseSignal);
    const logs = await task.logs().text();
    assert.equal(logs.match(/first run/g)?.length, 1, logs);
    assert.equal(logs.match(/second run/g)?.length, 1, logs);
    assert.equal(logs.match(/^\[flow\] restart 1 of 1 after /gm)?.length, 1, `the restart noted once: ${logs}`);
    const events = (await task.describe()).events;
    assert.equal(events[0]?.reason, 'submitted', 'the first event carried over');
    assert.equal(events.filter((event) => /^restart/.test(event.reason ?? '')).length, 1, JSON.stringify(events));
  });

  test('a gang waits boundedly for all its hosts and takes them once one is freed', async () => {
    // Each rank keeps its own marker (no race between ranks): rank 0 fails the first attempt, the second attempt succeeds.
    const marker = join(scratch, 'gang-ran');
    const command = `if [ -e '${marker}'-$FLOW_NODE_RANK ]; then echo second run; exit 0; fi; touch '${marker}'-$FLOW_NODE_RANK; echo first run; if [ "$FLOW_NODE_RANK" = 0 ]; then exit 1; fi; sleep 600`;
    const { task, held } = await restartOnBusyHosts(command, 2, ['h1']);
    await assertBoundedRuns(task.taskId);
    assert.match((await task.describe()).waitingReason ?? '', /waiting for 2 free hosts at once \(1 free now\)/);
    await held[0]!.signal(releaseLeaseSignal);
    assert.equal((await task.wait()).status, 'completed');
    const logs = await task.logs({ node: 1 }).text();
    assert.deepEqual([logs.match(/first run/g)?.length, logs.match(/second run/g)?.length], [1, 1], logs);
  });
});
