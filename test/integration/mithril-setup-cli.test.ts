import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { startMithrilSim, type MithrilSim } from '../../src/mithril-sim';
import { runCli } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { SimClient } from '../helpers/mithril-sim-client';

const API_KEY = 'mk_test_setup_key_5d81c0e2';

/** A fresh FLOW_HOME with none of the caller's Mithril settings in the env. */
function freshHome(cleanups: Array<() => void>): { home: string; env: NodeJS.ProcessEnv } {
  const { home, cleanup } = tempFlowHome('flow-mithril-setup-');
  cleanups.push(cleanup);
  const env = testEnv(home);
  for (const name of Object.keys(env)) if (name.startsWith('MITHRIL_') || name === 'FLOW_PROVIDER') delete env[name];
  return { home, env };
}

describe('flow setup checks Mithril settings against the API before saving them', { timeout: 120_000 }, () => {
  let sim: MithrilSim;
  let client: SimClient;
  const cleanups: Array<() => void> = [];
  before(async () => {
    sim = await startMithrilSim({ apiKey: API_KEY, provisionDelayMs: 200 });
    client = new SimClient(sim.url, API_KEY);
  });
  after(async () => {
    for (const cleanup of cleanups) cleanup();
    await sim?.stop();
    client?.dispose();
  });

  const projectKeys = async (project: string) =>
    ((await client.call('GET', `/v2/ssh-keys?project=${project}`)).body.data as Array<{ fid: string; name: string; public_key?: string }>);

  test('a bad key, an unknown project or SSH key: a clear error, and nothing saved', async () => {
    const { home, env } = freshHome(cleanups);
    const configFile = join(home, 'config.yaml');
    const base = ['setup', '--provider', 'mithril', '--api-url', sim.url, '--yes'];

    const badKey = await runCli([...base, '--api-key', 'mk_wrong_key_000000'], { env });
    assert.equal(badKey.code, 2, badKey.stderr);
    assert.match(badKey.stderr, /AuthenticationError|API key/i);
    assert.match(badKey.stderr, /MITHRIL_API_KEY|flow setup/);
    assert.ok(!badKey.stderr.includes('mk_wrong_key_000000'), 'the key is not echoed');
    assert.equal(existsSync(configFile), false, 'nothing saved');

    const badProject = await runCli([...base, '--api-key', API_KEY, '--project', 'no-such-project'], { env });
    assert.equal(badProject.code, 4, badProject.stderr);
    assert.match(badProject.stderr, /no-such-project/);
    assert.match(badProject.stderr, /flow-sim/, 'lists the projects the key can see');
    assert.equal(existsSync(configFile), false, 'nothing saved');

    const badSshKey = await runCli([...base, '--api-key', API_KEY, '--ssh-key', 'sshkey_doesnotexist'], { env });
    assert.equal(badSshKey.code, 3, badSshKey.stderr);
    assert.match(badSshKey.stderr, /sshkey_doesnotexist/);
    assert.equal(existsSync(configFile), false, 'nothing saved');
  });

  test('good settings are saved with the project resolved and the user\'s SSH key uploaded once', async () => {
    const { home, env } = freshHome(cleanups);
    const userKey = join(home, 'id_user');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'user@laptop', '-f', userKey]);
    const args = ['setup', '--provider', 'mithril', '--api-url', sim.url, '--api-key', API_KEY, '--project', 'flow-sim', '--ssh-key', `${userKey}.pub`, '--json', '--yes'];
    const first = await runCli(args, { env });
    assert.equal(first.code, 0, first.stderr);
    const check = JSON.parse(first.stdout).mithrilCheck;
    assert.equal(check.verified, true, first.stdout);
    assert.equal(check.project.name, 'flow-sim');
    assert.equal(check.sshKeyIds.length, 1, 'the user key (the worker registers its own with its first bid)');
    const keys = await projectKeys(check.project.fid);
    const userPublic = readFileSync(`${userKey}.pub`, 'utf8').trim();
    assert.ok(keys.some((k) => k.public_key?.trim() === userPublic && check.sshKeyIds.includes(k.fid)), 'the user key was uploaded');
    const config = parse(readFileSync(join(home, 'config.yaml'), 'utf8'));
    assert.equal(config.mithril.project, 'flow-sim');

    // Again: the same ids, no second upload.
    const again = await runCli(args, { env });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout).mithrilCheck.sshKeyIds, check.sshKeyIds);
    assert.equal((await projectKeys(check.project.fid)).length, keys.length, 'no key registered twice');

    // The human summary says what was checked.
    const human = await runCli(args.filter((a) => a !== '--json'), { env });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /checked\s+ok: project flow-sim \(proj_/);
  });

  test('an API out of reach: saved anyway, with the reason; --no-verify asks nothing', async () => {
    const { home, env } = freshHome(cleanups);
    const offline = await runCli(['setup', '--provider', 'mithril', '--api-url', 'http://127.0.0.1:9', '--api-key', API_KEY, '--yes'], { env });
    assert.equal(offline.code, 0, offline.stderr);
    assert.match(offline.stdout, /checked\s+no: Cannot reach Mithril at http:\/\/127\.0\.0\.1:9/);
    assert.ok(existsSync(join(home, 'config.yaml')));
    const skipped = await runCli(['setup', '--provider', 'mithril', '--api-url', 'http://127.0.0.1:9', '--api-key', API_KEY, '--no-verify', '--yes'], { env });
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.doesNotMatch(skipped.stdout, /checked/);
  });
});
