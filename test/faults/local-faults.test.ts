import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { instanceRecord } from '../helpers/instances';
import { waitFor } from '../helpers/wait-for';
import { faultTests } from './scenarios';

describe('fault suite, local provider: worker, server, daemon and CLI faults lose and repeat nothing', { timeout: 600_000 }, () => {
  let h: FlowHarness;
  let scratch: string;
  before(async () => {
    h = await startFlow('flow-faults-local-');
    scratch = mkdtempSync(join(tmpdir(), 'flow-faults-local-scratch-'));
  });
  after(async () => {
    await h?.stop();
    // Removing the folder also ends any command still held on a release file in it.
    rmSync(scratch, { recursive: true, force: true });
  });

  faultTests({
    provider: 'local',
    harness: () => h,
    scratch: () => scratch,
    sdkOptions: { provider: 'local', uploadCode: false },
    cliFlags: ['--provider', 'local', '--no-upload-code'],
    async assertReleased(harness, taskIds) {
      for (const taskId of taskIds) {
        const instanceId = (await harness.flow.task(taskId).describe()).nodes[0]?.instanceId;
        assert.ok(instanceId, `${taskId} had an instance`);
        await waitFor(() => instanceRecord(harness.home, instanceId).terminated, { message: `${taskId}: its instance ${instanceId} is terminated` });
      }
    },
  });
});
