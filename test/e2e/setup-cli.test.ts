import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { runCli } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { stripAnsi } from '../helpers/pty';

const FLOW_BIN = join(__dirname, '..', '..', '..', 'bin', 'flow.js');
const KEY = 'mk_test_init_key_0123456789';

/** An env with its own FLOW_HOME and none of the user's Mithril settings. */
function cleanEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = testEnv(home);
  for (const name of Object.keys(env)) if (name.startsWith('MITHRIL_') || name === 'FLOW_PROVIDER') delete env[name];
  return { ...env, ...extra };
}

function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

/**
 * `flow setup` on a pseudo-terminal (util-linux `script`), driven like a person: wait for a prompt,
 * then type. Keys go through the pty, so nothing is echoed unless Flow echoes it.
 */
function interactiveSetup(env: NodeJS.ProcessEnv, args: string[] = []) {
  const command = [process.execPath, FLOW_BIN, 'setup', ...args].map((word) => `'${word}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...env, TERM: 'xterm-256color' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let seen = 0;
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    /** Waits (with a deadline) for `text` after what earlier expects matched. */
    async expect(text: string, timeoutMs = 15_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const at = stripAnsi(output).indexOf(text, seen);
        if (at >= 0) {
          seen = at + text.length;
          return;
        }
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(`prompt ${JSON.stringify(text)} did not appear within ${timeoutMs} ms; output so far:\n${stripAnsi(output)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    type(text: string): void {
      child.stdin.write(text);
    },
    async exit(timeoutMs = 15_000): Promise<{ code: number | null; output: string }> {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      child.stdin.end();
      return { code, output };
    },
  };
}

describe('flow setup', { timeout: 120_000 }, () => {
  const homes: Array<() => void> = [];
  const newHome = () => {
    const { home, cleanup } = tempFlowHome('flow-setup-');
    homes.push(cleanup);
    return home;
  };
  after(() => homes.forEach((cleanup) => cleanup()));

  test('non-interactive mithril: a 0600 file with the key; the key is never printed; config show reads it back masked', async () => {
    const home = join(newHome(), 'not-yet'); // setup creates $FLOW_HOME
    const env = cleanEnv(home);
    const result = await runCli(['setup', '--provider', 'mithril', '--api-key', KEY, '--project', 'proj-a', '--region', 'us-central1-b', '--yes'], { env });
    assert.equal(result.code, 0, result.stderr);
    const configFile = join(home, 'config.yaml');
    assert.equal(modeOf(configFile), 0o600);
    assert.equal(modeOf(home), 0o700);
    assert.deepEqual(parse(readFileSync(configFile, 'utf8')), { provider: 'mithril', mithril: { apiKey: KEY, project: 'proj-a', region: 'us-central1-b' } });
    assert.ok(!result.stdout.includes(KEY) && !result.stderr.includes(KEY), 'key printed in clear');
    assert.match(result.stdout, new RegExp(`Wrote ${configFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(mode 600\\)`));
    assert.match(result.stdout, /mk_••••••••6789/);
    assert.match(result.stdout, /flow doctor/);
    assert.match(result.stdout, /flow run "echo hello"/);

    const show = await runCli(['config', 'show', '--json'], { env });
    assert.equal(show.code, 0, show.stderr);
    assert.ok(!show.stdout.includes(KEY));
    const { settings } = JSON.parse(show.stdout);
    assert.deepEqual(settings['mithril.apiKey'], { value: 'mk_••••••••6789', source: 'config.yaml' });
    assert.deepEqual(settings['mithril.project'], { value: 'proj-a', source: 'config.yaml' });
    assert.deepEqual(settings['mithril.region'], { value: 'us-central1-b', source: 'config.yaml' });
    assert.deepEqual(settings.provider, { value: 'mithril', source: 'config.yaml' });
  });

  test('--json prints the file and the resolved settings, key masked', async () => {
    const home = newHome();
    const result = await runCli(['setup', '--api-key', KEY, '--ssh-key', 'sshkey-1', '--ssh-key', 'sshkey-2', '--json'], { env: cleanEnv(home) });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(!result.stdout.includes(KEY));
    const json = JSON.parse(result.stdout);
    assert.equal(json.configFile, join(home, 'config.yaml'));
    assert.equal(json.mode, '600');
    // A key with no --provider picks mithril.
    assert.deepEqual(json.settings.provider, { value: 'mithril', source: 'config.yaml' });
    assert.deepEqual(json.settings['mithril.apiKey'], { value: 'mk_••••••••6789', source: 'config.yaml' });
    assert.deepEqual(json.settings['mithril.sshKeys'].value, ['sshkey-1', 'sshkey-2']);
  });

  test('keeps the other keys and comments, replaces a Python-shape api_key, tightens a loose mode', async () => {
    const home = newHome();
    const configFile = join(home, 'config.yaml');
    writeFileSync(
      configFile,
      '# written by hand\napi_key: mk_old_python_key_999999\nprovider: mithril\nmithril:\n  project: old-proj # keep this\n  api_url: https://api.mithril.ai\ntemporal:\n  namespace: team-ns\n',
      { mode: 0o644 },
    );
    const env = cleanEnv(home);
    const result = await runCli(['setup', '--api-key', KEY, '--region', 'eu-1', '--api-url', 'http://127.0.0.1:9', '-y'], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(modeOf(configFile), 0o600);
    const text = readFileSync(configFile, 'utf8');
    assert.match(text, /# written by hand/);
    assert.match(text, /# keep this/);
    assert.deepEqual(parse(text), {
      provider: 'mithril',
      mithril: { project: 'old-proj', apiKey: KEY, region: 'eu-1', apiUrl: 'http://127.0.0.1:9' },
      temporal: { namespace: 'team-ns' },
    });
    assert.ok(!result.stdout.includes('mk_old_python_key_999999') && !result.stderr.includes('mk_old_python_key_999999'));

    const show = JSON.parse((await runCli(['config', 'show', '--json'], { env })).stdout).settings;
    assert.deepEqual(show['temporal.namespace'], { value: 'team-ns', source: 'config.yaml' });
    assert.deepEqual(show['mithril.apiUrl'], { value: 'http://127.0.0.1:9', source: 'config.yaml' });

    // Without --api-key the key already in the file is kept (and counts as "a key").
    const again = await runCli(['setup', '--provider', 'mithril', '--project', 'new-proj'], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(parse(readFileSync(configFile, 'utf8')).mithril, { project: 'new-proj', apiKey: KEY, region: 'eu-1', apiUrl: 'http://127.0.0.1:9' });
  });

  test('an unreadable config.yaml is backed up (mode 600) and replaced', async () => {
    const home = newHome();
    const configFile = join(home, 'config.yaml');
    writeFileSync(configFile, 'provider: [unclosed\n', { mode: 0o644 });
    const result = await runCli(['setup', '--provider', 'local'], { env: cleanEnv(home) });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(parse(readFileSync(configFile, 'utf8')), { provider: 'local' });
    assert.equal(readFileSync(`${configFile}.bak`, 'utf8'), 'provider: [unclosed\n');
    assert.equal(modeOf(`${configFile}.bak`), 0o600);
    assert.match(result.stdout, /config\.yaml\.bak/);
  });

  test('invalid input exits 3, names the field, and writes nothing', async () => {
    const home = newHome();
    const env = cleanEnv(home);
    const configFile = join(home, 'config.yaml');

    const badProvider = await runCli(['setup', '--provider', 'lokal', '--yes'], { env });
    assert.equal(badProvider.code, 3, badProvider.stderr);
    assert.match(badProvider.stderr, /provider 'lokal'/);
    assert.match(badProvider.stderr, /Did you mean 'local'\?/);
    assert.equal(existsSync(configFile), false);

    const noKey = await runCli(['setup', '--provider', 'mithril', '--project', 'p', '--non-interactive'], { env });
    assert.equal(noKey.code, 3, noKey.stderr);
    assert.match(noKey.stderr, /mithril\.apiKey/);
    assert.match(noKey.stderr, /--api-key/);
    assert.match(noKey.stderr, /MITHRIL_API_KEY/);
    assert.equal(existsSync(configFile), false);

    const emptyKey = await runCli(['setup', '--api-key', '  ', '--non-interactive'], { env });
    assert.equal(emptyKey.code, 3, emptyKey.stderr);
    assert.match(emptyKey.stderr, /--api-key must not be empty/);

    const badUrl = await runCli(['setup', '--provider', 'mithril', '--api-key', KEY, '--api-url', 'ftp://x', '--non-interactive'], { env });
    assert.equal(badUrl.code, 3, badUrl.stderr);
    assert.match(badUrl.stderr, /mithril\.apiUrl/);
    assert.match(badUrl.stderr, new RegExp(configFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')), 'the error names the real file, not a temporary one');
    assert.ok(!badUrl.stderr.includes(KEY));
    assert.equal(existsSync(configFile), false);

    // A failed setup leaves an existing file as it was.
    mkdirSync(home, { recursive: true });
    writeFileSync(configFile, 'provider: local\n', { mode: 0o600 });
    const stillBad = await runCli(['setup', '--provider', 'mithril', '--non-interactive'], { env });
    assert.equal(stillBad.code, 3);
    assert.equal(readFileSync(configFile, 'utf8'), 'provider: local\n');
  });

  test('MITHRIL_API_KEY in the environment is enough for provider mithril; the key is not copied into the file', async () => {
    const home = newHome();
    const result = await runCli(['setup', '--provider', 'mithril', '--non-interactive'], { env: cleanEnv(home, { MITHRIL_API_KEY: KEY }) });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(parse(readFileSync(join(home, 'config.yaml'), 'utf8')), { provider: 'mithril' });
    assert.ok(!result.stdout.includes(KEY));
    assert.match(result.stdout, /from MITHRIL_API_KEY in the environment/);
  });

  test('--show prints the resolved settings with the key masked; --json the same as data', async () => {
    const home = newHome();
    const env = cleanEnv(home, { MITHRIL_REGION: 'env-region' });
    assert.equal((await runCli(['setup', '--api-key', KEY, '--project', 'shown'], { env })).code, 0);
    const shown = await runCli(['setup', '--show'], { env });
    assert.equal(shown.code, 0, shown.stderr);
    assert.ok(!shown.stdout.includes(KEY), 'key printed in clear');
    const settings = parse(shown.stdout);
    assert.equal(settings.provider, 'mithril');
    assert.deepEqual(
      { apiKey: settings.mithril.apiKey, project: settings.mithril.project, region: settings.mithril.region },
      { apiKey: 'mk_••••••••6789', project: 'shown', region: 'env-region' }, // the environment counts too
    );
    const json = JSON.parse((await runCli(['setup', '--show', '--json'], { env })).stdout);
    assert.equal(json.configFile, join(home, 'config.yaml'));
    assert.equal(json.configFileExists, true);
    assert.equal(json.settings.mithril.apiKey, 'mk_••••••••6789');
  });

  test('--dry-run prints the file it would write (key masked) and changes nothing; --output saves that preview', async () => {
    const fresh = join(newHome(), 'not-yet');
    const preview = await runCli(['setup', '--api-key', KEY, '--project', 'dry', '--dry-run'], { env: cleanEnv(fresh) });
    assert.equal(preview.code, 0, preview.stderr);
    assert.deepEqual(parse(preview.stdout), { provider: 'mithril', mithril: { apiKey: 'mk_••••••••6789', project: 'dry' } });
    assert.ok(!preview.stdout.includes(KEY) && !preview.stderr.includes(KEY));
    assert.match(preview.stderr, /Dry run: .*config\.yaml was not changed/);
    assert.equal(existsSync(fresh), false, 'a dry run creates no Flow home');

    const home = newHome();
    const env = cleanEnv(home);
    const configFile = join(home, 'config.yaml');
    writeFileSync(configFile, '# mine\nprovider: local\n', { mode: 0o600 });
    const output = join(home, 'preview.yaml');
    const saved = await runCli(['setup', '--provider', 'mithril', '--api-key', KEY, '--dry-run', '--output', output], { env });
    assert.equal(saved.code, 0, saved.stderr);
    assert.equal(readFileSync(configFile, 'utf8'), '# mine\nprovider: local\n');
    const written = readFileSync(output, 'utf8');
    assert.equal(written, saved.stdout);
    assert.match(written, /# mine/);
    assert.deepEqual(parse(written), { provider: 'mithril', mithril: { apiKey: 'mk_••••••••6789' } });

    // A dry run checks the values as a real run would.
    const bad = await runCli(['setup', '--api-key', KEY, '--api-url', 'ftp://x', '--dry-run'], { env });
    assert.equal(bad.code, 3, bad.stderr);
    assert.match(bad.stderr, /mithril\.apiUrl/);

    const noDryRun = await runCli(['setup', '--provider', 'local', '--output', output], { env });
    assert.equal(noDryRun.code, 3, noDryRun.stderr);
    assert.match(noDryRun.stderr, /--output .*needs --dry-run/);
    assert.equal(readFileSync(configFile, 'utf8'), '# mine\nprovider: local\n');
  });

  test('--reset removes config.yaml (nothing else) with --yes; without a terminal it needs --yes', async () => {
    const home = newHome();
    const env = cleanEnv(home);
    const configFile = join(home, 'config.yaml');
    assert.equal((await runCli(['setup', '--api-key', KEY, '--project', 'old'], { env })).code, 0);
    mkdirSync(join(home, 'logs'));

    const unconfirmed = await runCli(['setup', '--reset'], { env });
    assert.equal(unconfirmed.code, 3, unconfirmed.stderr);
    assert.match(unconfirmed.stderr, /needs confirmation/);
    assert.match(unconfirmed.stderr, /--yes/);
    assert.equal(existsSync(configFile), true);

    const withDryRun = await runCli(['setup', '--reset', '--dry-run', '--yes'], { env });
    assert.equal(withDryRun.code, 3, withDryRun.stderr);
    assert.equal(existsSync(configFile), true);

    const reset = await runCli(['setup', '--reset', '--yes'], { env });
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stderr, /Removed .*config\.yaml/);
    assert.equal(existsSync(configFile), false);
    assert.equal(existsSync(join(home, 'logs')), true, 'the rest of the Flow home is kept');

    // Reset, then set up afresh from the flags: the old keys are gone.
    assert.equal((await runCli(['setup', '--api-key', KEY, '--project', 'old'], { env })).code, 0);
    const again = await runCli(['setup', '--reset', '--yes', '--provider', 'local'], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(parse(readFileSync(configFile, 'utf8')), { provider: 'local' });
  });

  test('on a terminal --reset asks first: no keeps the file; yes removes it and starts a fresh setup', async () => {
    const home = newHome();
    const env = cleanEnv(home);
    const configFile = join(home, 'config.yaml');
    assert.equal((await runCli(['setup', '--api-key', KEY, '--project', 'kept'], { env })).code, 0);
    const before = readFileSync(configFile, 'utf8');

    const declined = interactiveSetup(env, ['--reset']);
    await declined.expect('(provider and account settings)? [y/N] ');
    declined.type('n\r');
    const kept = await declined.exit();
    assert.equal(kept.code, 0, kept.output);
    assert.match(kept.output, /Reset cancelled/);
    assert.equal(readFileSync(configFile, 'utf8'), before);

    const accepted = interactiveSetup(env, ['--reset']);
    await accepted.expect('(provider and account settings)? [y/N] ');
    accepted.type('y\r');
    await accepted.expect('Provider (local, ssh, mithril) [local]: '); // nothing left to keep
    accepted.type('\r');
    const done = await accepted.exit();
    assert.equal(done.code, 0, done.output);
    assert.deepEqual(parse(readFileSync(configFile, 'utf8')), { provider: 'local' });
  });

  test('on a terminal, flags that give values mean no questions (as 3.28)', async () => {
    const home = newHome();
    const env = cleanEnv(home);
    const direct = interactiveSetup(env, ['--api-key', KEY, '--project', 'direct']);
    const done = await direct.exit();
    assert.equal(done.code, 0, done.output);
    assert.doesNotMatch(stripAnsi(done.output), /Region|Provider \(/);
    assert.deepEqual(parse(readFileSync(join(home, 'config.yaml'), 'utf8')), { provider: 'mithril', mithril: { apiKey: KEY, project: 'direct' } });
  });

  test('on a terminal: prompts, the typed key is not echoed, Enter keeps values, Ctrl-C writes nothing', async () => {
    const home = newHome();
    const env = cleanEnv(home);
    const configFile = join(home, 'config.yaml');

    const first = interactiveSetup(env);
    await first.expect('Provider (local, ssh, mithril) [local]: ');
    first.type('mithrl\r');
    await first.expect("Did you mean 'mithril'?");
    await first.expect('Provider (local, ssh, mithril) [local]: ');
    first.type('mithril\r');
    await first.expect('Mithril API key: ');
    first.type('\r'); // no key yet: asked again
    await first.expect('An API key is needed for provider mithril');
    await first.expect('Mithril API key: ');
    first.type(`${KEY}\r`);
    await first.expect('Project: ');
    first.type('tty-proj\r');
    await first.expect('Region: ');
    first.type('tty-region\r');
    const done = await first.exit();
    assert.equal(done.code, 0, done.output);
    assert.ok(!done.output.includes(KEY), `the key was echoed:\n${done.output}`);
    assert.ok(!done.output.includes(KEY.slice(0, 12)), 'part of the key was echoed');
    assert.match(stripAnsi(done.output), /Wrote .*config\.yaml \(mode 600\)/);
    assert.equal(modeOf(configFile), 0o600);
    assert.deepEqual(parse(readFileSync(configFile, 'utf8')), { provider: 'mithril', mithril: { apiKey: KEY, project: 'tty-proj', region: 'tty-region' } });

    // Second run: each prompt shows the current value; Enter keeps it (the key only masked).
    const second = interactiveSetup(env);
    await second.expect('Provider (local, ssh, mithril) [mithril]: ');
    second.type('\r');
    await second.expect('Mithril API key [mk_••••••••6789, Enter keeps it]: ');
    second.type('\r');
    await second.expect('Project [tty-proj]: ');
    second.type('\r');
    await second.expect('Region [tty-region]: ');
    second.type('other-region\r');
    const kept = await second.exit();
    assert.equal(kept.code, 0, kept.output);
    assert.ok(!kept.output.includes(KEY));
    assert.deepEqual(parse(readFileSync(configFile, 'utf8')).mithril, { apiKey: KEY, project: 'tty-proj', region: 'other-region' });

    // Ctrl-C at the key prompt: exit 130, the file untouched.
    const before = readFileSync(configFile, 'utf8');
    const third = interactiveSetup(env);
    await third.expect('Provider (local, ssh, mithril) [mithril]: ');
    third.type('\r');
    await third.expect('Mithril API key [mk_••••••••6789, Enter keeps it]: ');
    third.type('mk_half_typed\x03');
    const aborted = await third.exit();
    assert.equal(aborted.code, 130, aborted.output);
    assert.match(aborted.output, /Nothing written/);
    assert.ok(!aborted.output.includes('mk_half_typed'));
    assert.equal(readFileSync(configFile, 'utf8'), before);
  });
});
