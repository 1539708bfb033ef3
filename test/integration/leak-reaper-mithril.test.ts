import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ReapReport } from '../../src/domain';
import { startMithrilSim, type MithrilSim } from '../../src/mithril-sim';
import { createBid, getBid, listInstanceTypes, MithrilHttp, resolveInstanceType, resolveProject } from '../../src/mithril-api';
import { runCli } from '../helpers/cli';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { waitFor } from '../helpers/wait-for';

const API_KEY = 'mk_reaper_key_7a21c0';

describe('leak reaper on Mithril (flow-mithril-sim): bids Flow made for no open task are cancelled', { timeout: 180_000 }, () => {
  let sim: MithrilSim;
  let http: MithrilHttp;
  let h: FlowHarness;
  before(async () => {
    // No instance is needed: a long provisioning delay keeps the bids from starting one.
    sim = await startMithrilSim({ apiKey: API_KEY, provisionDelayMs: 600_000 });
    http = new MithrilHttp({ apiKey: API_KEY, baseUrl: sim.url, sleep: async () => undefined });
    h = await startFlow('flow-reaper-mithril-', { MITHRIL_API_URL: sim.url, MITHRIL_API_KEY: API_KEY, FLOW_REAPER_EVERY: '100d' });
  });
  after(async () => {
    await h?.stop();
    await sim?.stop();
  });

  async function bid(name: string, startupScript: string): Promise<string> {
    const project = (await resolveProject(http, undefined)).fid;
    const instanceTypeFid = resolveInstanceType(await listInstanceTypes(http), '1xa100').fid;
    return createBid(http, { project, region: 'us-central1-b', name, instanceTypeFid, instanceQuantity: 1, limitPricePerHour: 2, sshKeyIds: [], startupScript, volumeIds: [], idempotencyKey: `reaper-test-${name}` });
  }
  const flowScript = (taskId: string) => `#!/bin/bash\n# FLOW_ORIGIN: flow-sdk v0.1.0 task:${taskId}\nset -euo pipefail\n`;
  const gc = async (...args: string[]) => {
    const result = await runCli(['gc', ...args, '--json'], { env: h.env, timeoutMs: 120_000 });
    assert.equal(result.code, 0, `flow gc exits 0\n${result.stdout}${result.stderr}`);
    return JSON.parse(result.stdout) as ReapReport;
  };

  test("an orphan bid is cancelled; a bid of an open task and a bid Flow did not make are left alone", async () => {
    // An open workflow under the task id the second bid names (a local task: the id is what counts).
    const open = await h.flow.run('echo up; sleep 300', { provider: 'local' });
    await waitFor(async () => (await open.status()) === 'running', { timeoutMs: 60_000, message: 'the open task runs' });
    const orphan = await bid('orphan-3fa2b1', flowScript('orphan-3fa2b1'));
    const owned = await bid(open.taskId, flowScript(open.taskId));
    const foreign = await bid('users-own-bid', '#!/bin/bash\necho not flow\n');

    const dry = await gc('--dry-run', '--grace', '0s');
    const dryMithril = dry.reaped.filter((item) => item.provider === 'mithril');
    assert.deepEqual(dryMithril.map((item) => item.taskId), ['orphan-3fa2b1'], 'only the orphan is listed');
    assert.notEqual((await getBid(http, orphan)).status, 'Terminated', '--dry-run cancelled nothing');

    const report = await gc('--grace', '0s');
    assert.deepEqual(report.skipped, []);
    assert.deepEqual(report.reaped.filter((item) => item.provider === 'mithril').map((item) => [item.taskId, item.error]), [['orphan-3fa2b1', undefined]]);
    assert.equal((await getBid(http, orphan)).status, 'Terminated', 'the orphan bid is cancelled');
    assert.notEqual((await getBid(http, owned)).status, 'Terminated', "the open task's bid is kept");
    assert.notEqual((await getBid(http, foreign)).status, 'Terminated', 'a bid Flow did not make is never touched');
    await open.stop();
  });
});
