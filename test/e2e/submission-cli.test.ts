import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stopDaemon } from '../../src/daemon/daemon-control';
import { runCli, spawnCli, type CliResult } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { waitFor } from '../helpers/wait-for';

interface Listed {
  taskId: string;
  status: string;
  waitingReason?: string;
}

const REASON = /no cpu under \$1\.00\/h \(cheapest now \$5\.00\/h\)/;

describe('what a submission is checked and resolved against', { timeout: 300_000 }, () => {
  const { home, cleanup } = tempFlowHome('flow-submit-');
  // The daemon starts with no price and no provider setting: whatever a task sees later came with it.
  const env = testEnv(home);
  const flow = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliResult> => runCli(args, { env: { ...env, ...extra }, timeoutMs: 90_000 });
  const listAll = async (): Promise<Listed[]> => JSON.parse((await flow(['status', '--all', '--json'])).stdout);
  const configYaml = (text: string) => writeFileSync(join(home, 'config.yaml'), text);
  before(async () => {
    const warm = await flow(['run', '--name', 'warm', 'echo warm']);
    assert.equal(warm.code, 0, warm.stderr);
    await waitFor(async () => (await listAll()).length === 1, { timeoutMs: 15_000, message: 'warm-up task listed' });
  });
  after(async () => {
    await stopDaemon(home);
    cleanup();
  });

  test('what is known before submission is refused before submission (exit 3, nothing listed)', async () => {
    const offered: Array<{ instanceType: string }> = JSON.parse((await flow(['instances', '--json'])).stdout);
    const missing = ['8xb200', '8xh100', '8xa100'].find((type) => !offered.some((offer) => offer.instanceType === type))!;
    const cases: Array<[string[], RegExp]> = [
      [['run', '--workdir', join(home, 'no-such-dir'), 'echo x'], /workingDir: .*no-such-dir does not exist/],
      [['run', '-i', missing, 'echo x'], new RegExp(`instanceType: .*no instance with ${missing}[\\s\\S]*Available here: cpu`)],
    ];
    for (const [args, message] of cases) {
      const result = await flow(args);
      assert.equal(result.code, 3, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /Task \S+ submitted/);
    }
    // A provider whose credentials are missing: refused by the worker before a task exists (exit 2).
    const noKey = await flow(['run', '--provider', 'mithril', 'echo x']);
    assert.equal(noKey.code, 2, noKey.stderr);
    assert.match(noKey.stderr, /No Mithril API key is configured[\s\S]*MITHRIL_API_KEY/);
    assert.doesNotMatch(noKey.stderr, /Task \S+ submitted/);
    assert.equal((await listAll()).length, 1, 'only the warm-up task exists');
  });

  test('the provider comes from config.yaml and env at each submission, not from the daemon start', async () => {
    configYaml('provider: mithril\n');
    try {
      const refused = await flow(['run', 'echo x']);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /No Mithril API key is configured/);
    } finally {
      configYaml('provider: local\n');
    }
    const back = await flow(['run', 'echo back-on-local']);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.stdout, 'back-on-local\n');
    const byEnv = await flow(['run', 'echo x'], { FLOW_PROVIDER: 'mithril' });
    assert.equal(byEnv.code, 2, byEnv.stderr);
    assert.match(byEnv.stderr, /No Mithril API key is configured/);
  });

  test("a task waits with its reason, priced by the submitter's settings; instances shows that price", async () => {
    const priced = { FLOW_LOCAL_PRICE_PER_HOUR: '5' };
    const instances: Array<{ instanceType: string; pricePerHour: number }> = JSON.parse((await flow(['instances', '--json'], priced)).stdout);
    assert.equal(instances.find((offer) => offer.instanceType === 'cpu')?.pricePerHour, 5);

    // Attached: the waiting reason is on the status line.
    const child = spawnCli(['run', '--max-price', '1', 'echo never'], { env: { ...env, ...priced } });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor(() => REASON.test(stderr), { timeoutMs: 60_000, message: `reason on the status line; stderr: ${stderr}` });
    child.kill('SIGINT');
    assert.equal(await closed, 130);
    const taskId = /Task (\S+) submitted/.exec(stderr)?.[1];
    assert.ok(taskId, stderr);

    const listed = await waitFor(async () => (await listAll()).find((t) => t.taskId === taskId && t.waitingReason), { message: 'waiting reason listed' });
    assert.match(listed.waitingReason!, REASON);
    assert.match((await flow(['status'])).stdout, /NOTE[\s\S]*waiting: no cpu under \$1\.00\/h/);
    const detail = await flow(['status', taskId]);
    assert.match(detail.stdout, /waiting {8}no cpu under/);
    assert.equal((await flow(['cancel', taskId])).code, 0);
  });
});
