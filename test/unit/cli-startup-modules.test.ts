// What the CLI loads before it does anything: only the command named on the command line, and
// no task schemas (zod) just to define it. Start-up time is most of a quick `flow logs` or `flow run`.
// The modules are seen one by one in the tsc output (FLOW_CLI_BUNDLE=0); the bundle bin/flow.js
// runs keeps each module's first use where it was (scripts/build-cli-bundle).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { runCli } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { recordingModules } from '../helpers/loaded-modules';

const COMMAND_MODULE = /[\\/]dist[\\/]src[\\/]cli[\\/]commands[\\/]([a-z-]+)\.js$/;
const ZOD = /[\\/]node_modules[\\/]zod[\\/]/;

describe('CLI start-up: what a command loads before its action', () => {
  const { home, cleanup } = tempFlowHome('flow-startup-');
  after(cleanup);

  /** The command modules and whether zod was loaded, for one CLI call that must exit 0. */
  async function loadedBy(args: string[]): Promise<{ stdout: string; commands: string[]; zod: boolean }> {
    const traced = recordingModules({ ...testEnv(home), FLOW_CLI_BUNDLE: '0' }, home);
    const result = await runCli(args, { env: traced.env });
    assert.equal(result.code, 0, result.stderr);
    const records = [...traced.loaded().values()];
    assert.equal(records.length, 1, 'one record for the one CLI process');
    const modules = records[0]!;
    const commands = modules.map((path) => COMMAND_MODULE.exec(path)?.[1]).filter((name): name is string => name !== undefined);
    return { stdout: result.stdout, commands, zod: modules.some((path) => ZOD.test(path)) };
  }

  test('flow logs --help loads the logs command only, and no task schemas', async () => {
    const loaded = await loadedBy(['logs', '--help']);
    assert.match(loaded.stdout, /^Usage: flow logs /);
    assert.deepEqual(loaded.commands, ['logs']);
    assert.equal(loaded.zod, false, 'zod was loaded');
  });

  test('flow run --help loads the run command only (its hidden 3.28 flags need no schemas)', async () => {
    const loaded = await loadedBy(['run', '--help']);
    assert.match(loaded.stdout, /^Usage: flow run /);
    assert.deepEqual(loaded.commands, ['run']);
    assert.equal(loaded.zod, false, 'zod was loaded');
  });

  test('bin/flow.js runs the bundle: none of the tsc output\'s CLI modules, and no zod from node_modules', async () => {
    const traced = recordingModules(testEnv(home), home);
    const result = await runCli(['run', '--help'], { env: traced.env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Usage: flow run /);
    const [modules] = [...traced.loaded().values()];
    assert.ok(modules, 'a record of the CLI process');
    assert.deepEqual(modules.filter((path) => /[\\/]dist[\\/]src[\\/]/.test(path)).map((path) => path.replace(/.*[\\/]dist[\\/]src[\\/]/, '')), ['cli/bundle-loader.js']);
    assert.equal(modules.some((path) => ZOD.test(path)), false, 'zod was loaded from node_modules');
  });

  test('flow --help still lists every command, in order', async () => {
    const loaded = await loadedBy(['--help']);
    const listed = [...loaded.stdout.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((match) => match[1]);
    const expected = ['setup', 'init', 'example', 'run', 'status', 'logs', 'cancel', 'volumes', 'instances', 'fleet', 'ssh', 'port-forward', 'config', 'doctor', 'gc', 'daemon', 'worker', 'setup-cluster', 'codec-server', 'help'];
    assert.deepEqual(listed, expected);
    assert.deepEqual(loaded.commands, expected.slice(0, -1));
    assert.equal(loaded.zod, false, 'zod was loaded');
  });
});
