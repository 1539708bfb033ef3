import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flowPaths } from '../../src/config/flow-home';
import { spawnCli } from '../helpers/cli';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { untilFileExists } from '../helpers/release-file';
import { waitFor } from '../helpers/wait-for';

const MASK = '******';

/** Every path under `dir` (not following links), `dir` included. */
function entriesUnder(dir: string): string[] {
  return [dir, ...readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((entry) => join(dir, entry))];
}

/** The Temporal server's sqlite files: searched too (payloads reach the server only encrypted). */
const isServerDb = (path: string) => /^temporal\.db(-wal|-shm|-journal)?$/.test(basename(path));

describe('secret hygiene: masked logs, nothing in clear under FLOW_HOME, private files, nothing on argv', { timeout: 240_000 }, () => {
  let h: FlowHarness;
  let scratch: string;
  const apiKey = `mk-${randomBytes(10).toString('hex')}`;
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'flow-hygiene-scratch-'));
    // A Mithril key in the worker's env (the provider stays local): masked in every log too.
    h = await startFlow('flow-hygiene-', { FLOW_PROVIDER: 'local', MITHRIL_API_KEY: apiKey });
  });
  after(async () => {
    await h?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test('a task printing its secret (also across a 1 MiB newline-less stretch) and the API key gets only masks; afterwards no file holds them', async () => {
    const secret = `tok-${randomBytes(12).toString('hex')}`;
    writeFileSync(join(scratch, 'key'), apiKey);
    const filler = (1 << 20) - 5;
    // The values reach the output only through the env and a file: the command (in history) has neither.
    const command = [
      'echo "token=$API_TOKEN"',
      `head -c ${filler} /dev/zero | tr '\\0' x; printf '%s\\n' "$API_TOKEN"`,
      `printf 'key=%s\\n' "$(cat '${join(scratch, 'key')}')"`,
    ].join('; ');
    const task = await h.flow.run(command, { secrets: { API_TOKEN: secret } });
    assert.equal((await task.wait()).status, 'completed');
    assert.equal(await task.logs().text(), `token=${MASK}\n${'x'.repeat(filler)}${MASK}\nkey=${MASK}`);

    const described = JSON.stringify(await task.describe());
    assert.ok(!described.includes(secret) && !described.includes(apiKey), 'describe holds no secret');

    const home = flowPaths(h.home);
    const instances = readdirSync(home.instances).filter((id) => id.startsWith(`local-${task.taskId}-`));
    assert.equal(instances.length, 1);
    assert.equal(existsSync(join(home.instances, instances[0]!, 'output.log')), false, 'the raw output is removed once copied');

    const files = entriesUnder(h.home).filter((path) => lstatSync(path).isFile());
    assert.ok(files.some(isServerDb), 'the server database is among the files searched');
    assert.ok(files.some((path) => path.startsWith(home.logs)), 'the logs are among the files searched');
    for (const file of files) {
      const bytes = readFileSync(file);
      assert.ok(!bytes.includes(secret), `${file} holds the task secret in clear`);
      assert.ok(!bytes.includes(apiKey), `${file} holds the API key in clear`);
    }
  });

  test('FLOW_HOME and everything Flow wrote in it are private: folders 0700, files 0600 or stricter', () => {
    const open = entriesUnder(h.home)
      .map((path) => ({ path, stat: lstatSync(path) }))
      .filter(({ stat }) => !stat.isSymbolicLink() && (stat.mode & 0o077) !== 0)
      .map(({ path, stat }) => `${path} ${(stat.mode & 0o777).toString(8)}`);
    assert.deepEqual(open, [], 'no group or world bits');
    assert.equal(lstatSync(h.home).mode & 0o777, 0o700);
  });

  test('`flow run --secret KEY` takes the value from its env: ps never shows it, the task gets it, the log masks it', async () => {
    const value = `ps-${randomBytes(12).toString('hex')}`;
    const release = join(scratch, 'release-ps');
    const cli = spawnCli(['run', '--secret', 'PS_TOKEN', `echo started; ${untilFileExists(release)}; echo "t=$PS_TOKEN"`], {
      env: { ...h.env, PS_TOKEN: value },
    });
    let stdout = '';
    cli.stdout.on('data', (chunk) => (stdout += chunk));
    const closed = new Promise<number | null>((resolve) => cli.on('close', resolve));
    try {
      await waitFor(() => stdout.includes('started'), { timeoutMs: 60_000, message: 'the attached run prints started' });
      const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
      assert.ok(ps.includes('--secret PS_TOKEN'), 'ps lists the attached CLI');
      assert.ok(!ps.includes(value), 'ps shows the secret value');
    } finally {
      writeFileSync(release, '');
    }
    assert.equal(await closed, 0);
    assert.match(stdout, new RegExp(`t=\\*{6}`));
    assert.ok(!stdout.includes(value));
  });
});
