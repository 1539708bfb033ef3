import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { TASK_CONFIG_FIELDS, defaultTaskName, parseTaskConfig, type TaskConfig } from '../../src/domain';
import { NASTY_STRINGS, ODD_VALUES, assertRefused, badInputCaseCount, outcomeOf, seededRandom } from '../helpers/bad-input';

/** TaskConfig (the SDK's and every file's way in): bad values end in a ValidationError naming the field, or a config. */
const parse = (input: unknown) => () => parseTaskConfig(input);
const MB10 = 'a'.repeat(10 * 1024 * 1024);

/** What no accepted config may hold: a NUL byte where a process, path or argv gets it, or an image read as an option. */
function assertSafe(label: string, config: TaskConfig): void {
  const words = [config.command, config.workingDir, config.image, config.codeRoot, config.region, config.sshKeys, config.volumes.map((v) => v.mountPath), Object.values(config.env), Object.values(config.secrets)].flat(2);
  for (const word of words) if (typeof word === 'string') assert.ok(!word.includes('\0'), `${label}: a NUL byte was accepted`);
  if (config.image !== undefined) assert.ok(!config.image.startsWith('-'), `${label}: an image that reads as an option was accepted`);
  assert.deepEqual(parseTaskConfig(config), config, `${label}: parsing an accepted config again changes it`);
}

describe('bad input: TaskConfig', () => {
  after(() => console.log(`# bad-input cases (task config): ${badInputCaseCount()}`));

  test('wrong shapes and wrong types are refused naming the field', () => {
    const rows: Array<[string, unknown, string | RegExp]> = [
      ['null', null, '(config)'],
      ['a list', [], '(config)'],
      ['a string', 'echo hi', '(config)'],
      ['no command', {}, 'command'],
      ['command a number', { command: 5 }, 'command'],
      ['command an object', { command: { a: 1 } }, 'command'],
      ['command an empty list', { command: [] }, 'command'],
      ['command blank', { command: '   ' }, 'command'],
      ['command list of numbers', { command: [1, 2] }, 'command'],
      ['env a list', { command: 'x', env: ['A=1'] }, 'env'],
      ['env a string', { command: 'x', env: 'A=1' }, 'env'],
      ['env value an object', { command: 'x', env: { A: { b: 1 } } }, 'env.A'],
      ['env value null', { command: 'x', env: { A: null } }, 'env.A'],
      ['volumes a mapping', { command: 'x', volumes: { name: 'data' } }, 'volumes'],
      ['volume null', { command: 'x', volumes: [null] }, 'volumes.0'],
      ['volume a string', { command: 'x', volumes: ['data'] }, 'volumes.0'],
      ['ports of strings', { command: 'x', ports: ['8080'] }, 'ports.0'],
      ['retry a string', { command: 'x', retry: 'yes' }, 'retry'],
      ['retries null', { command: 'x', retries: null }, 'retries'],
      ['priority unknown', { command: 'x', priority: 'urgent' }, 'priority'],
      ['provider unknown', { command: 'x', provider: 'aws' }, 'provider'],
      ['unknown field', { command: 'x', gpus: 2 }, 'gpus'],
      ['constructor as a field', { command: 'x', constructor: 1 }, 'constructor'],
      ['a cycle', (() => { const o: Record<string, unknown> = { command: 'x' }; o.env = o; return o; })(), /^env/],
    ];
    for (const [label, input, field] of rows) assertRefused(label, outcomeOf(label, parse(input)), { field });
  });

  test('huge and non-finite numbers are refused by the field, never accepted or crashed on', () => {
    const fields = ['numInstances', 'minGpuMemoryGb', 'minCpus', 'minMemoryGb', 'maxPricePerHour', 'maxRunTimeHours', 'maxTotalCostUsd', 'maxPendingHours'];
    for (const field of fields) {
      for (const value of [1e308, -1e308, Number.NaN, Number.POSITIVE_INFINITY, -0.5, 2 ** 60]) {
        const label = `${field}: ${value}`;
        const outcome = outcomeOf(label, parse({ command: 'x', [field]: value }));
        // A huge price or cost limit is no limit; every other one of these is out of range for its field.
        if (outcome.ok) assert.ok(value > 1e9 && /Price|Cost/.test(field), `${label} was accepted`);
        else assertRefused(label, outcome, { field });
      }
    }
    assertRefused('instance type with 1e20 GPUs', outcomeOf('1e20 GPUs', parse({ command: 'x', instanceType: '100000000000000000000xa100' })), { field: 'instanceType' });
  });

  test('a NUL byte is refused wherever a process or a path would get it', () => {
    const rows: Array<[string, Record<string, unknown>, string]> = [
      ['command', { command: 'echo a\0b' }, 'command'],
      ['command word', { command: ['echo', 'a\0b'] }, 'command.1'],
      ['env value', { command: 'x', env: { A: 'a\0b' } }, 'env.A'],
      ['secret value', { command: 'x', secrets: { TOKEN: 'abcd\0' } }, 'secrets.TOKEN'],
      ['workingDir', { command: 'x', workingDir: '/a\0b' }, 'workingDir'],
      ['mountPath', { command: 'x', volumes: [{ name: 'data', mountPath: '/da\0ta' }] }, 'volumes.0.mountPath'],
      ['image', { command: 'x', image: 'ubuntu\0' }, 'image'],
      ['region', { command: 'x', region: 'us\0' }, 'region'],
      ['sshKeys', { command: 'x', sshKeys: ['key\0'] }, 'sshKeys.0'],
      ['codeRoot', { command: 'x', codeRoot: '/src\0' }, 'codeRoot'],
      ['instanceType', { command: 'x', instanceType: 'a100\0' }, 'instanceType'],
    ];
    for (const [label, input, field] of rows) assertRefused(`NUL in ${label}`, outcomeOf(label, parse(input)), { field });
  });

  test('metacharacters: names, env keys and volume names are refused; values, commands and paths are kept byte-exact', () => {
    for (const text of NASTY_STRINGS) {
      assertRefused(`name ${JSON.stringify(text)}`, outcomeOf('name', parse({ command: 'x', name: text })), { field: 'name' });
      if (!/^[A-Za-z_]\w*$/.test(text)) assertRefused(`env key ${JSON.stringify(text)}`, outcomeOf('env key', parse({ command: 'x', env: { [text]: '1' } })), { field: 'env' });
      assertRefused(`volume ${JSON.stringify(text)}`, outcomeOf('volume', parse({ command: 'x', volumes: [{ name: text }] })), { field: 'volumes.0' });
      if (text.includes('\0')) continue;
      const value = outcomeOf('env value', parse({ command: 'x', env: { A: text } }));
      assert.ok(value.ok && (value.value as TaskConfig).env.A === text, `env value ${JSON.stringify(text)} must arrive byte-exact`);
      const argv = outcomeOf('argv', parse({ command: ['printf', '%s', text] }));
      assert.ok(argv.ok && (argv.value as TaskConfig).command[2] === text, `argv word ${JSON.stringify(text)} must arrive byte-exact`);
      const workingDir = outcomeOf('workingDir', parse({ command: 'x', workingDir: `/w/${text}` }));
      assert.ok(workingDir.ok && (workingDir.value as TaskConfig).workingDir === `/w/${text}`, `workingDir /w/${JSON.stringify(text)} must be kept`);
    }
    // Paths that climb out are judged where they land: /data/../etc is /etc.
    assertRefused('mount over /etc by ..', outcomeOf('mount ..', parse({ command: 'x', volumes: [{ name: 'data', mountPath: '/data/../../etc' }] })), { field: 'volumes.0.mountPath' });
    assertRefused('relative workingDir', outcomeOf('workingDir ..', parse({ command: 'x', workingDir: '../x' })), { field: 'workingDir' });
    assert.equal(defaultTaskName('$(touch /tmp/flow-pwned-x)'), 'touch', 'a default name keeps only name characters');
    assert.equal(defaultTaskName(['--flag']), 'flag');
  });

  test('an image that would read as a runtime option, or holds spaces, is refused; real references pass', () => {
    for (const image of ['--privileged', '-v/:/host', 'ubuntu --privileged', 'ubuntu;touch /tmp/x', 'a\nb', ' ubuntu', 'x'.repeat(600)]) {
      assertRefused(`image ${JSON.stringify(image)}`, outcomeOf('image', parse({ command: 'x', image })), { field: 'image' });
    }
    for (const image of ['python:3.11', 'localhost:5000/team/app:v1', 'ghcr.io/org/image@sha256:0123abcd', 'docker.io/library/ubuntu:22.04', 'Registry.example/App_1:tag+meta']) {
      const outcome = outcomeOf('image', parse({ command: 'x', image }));
      assert.ok(outcome.ok, `image ${image} must be accepted`);
    }
  });

  test('huge values: 10 MB strings, 100k env entries and deep nesting end in a short error or a config, in seconds', () => {
    const rows: Array<[string, Record<string, unknown>, string | RegExp]> = [
      ['10 MB command', { command: MB10 }, 'command'],
      ['10 MB argv word', { command: ['echo', MB10] }, 'command.1'],
      ['10 MB name', { command: 'x', name: MB10 }, 'name'],
      ['10 MB instance type', { command: 'x', instanceType: MB10 }, 'instanceType'],
      ['10 MB image', { command: 'x', image: MB10 }, 'image'],
      ['10 MB env value', { command: 'x', env: { A: MB10 } }, 'env.A'],
      ['10 MB env key', { command: 'x', env: { [MB10.toUpperCase()]: '1' } }, 'env'],
      ['10 MB volume name', { command: 'x', volumes: [{ name: MB10 }] }, 'volumes.0.name'],
      ['10 MB unknown field', { command: 'x', [MB10]: 1 }, /^a+… \(\d+ more characters\)$/],
    ];
    for (const [label, input, field] of rows as Array<[string, Record<string, unknown>, string | RegExp]>) {
      const error = assertRefused(label, outcomeOf(label, parse(input)), { field });
      assert.ok((error.field ?? '').length < 200, `${label}: the field name is ${error.field?.length} characters`);
    }
    // 100,000 short variables fit within ARG_MAX and are a config; 40,000 of 32 bytes (1.5 MB) do not.
    const env = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`K${i}`, 'v']));
    assert.ok(outcomeOf('100k env', parse({ command: 'x', env }), 20_000).ok, '100,000 short variables fit and are accepted');
    const bigger = Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`K${i}`, 'v'.repeat(32)]));
    assertRefused('40k env entries of 32 bytes', outcomeOf('40k env', parse({ command: 'x', env: bigger }), 20_000), { field: 'env', message: /ARG_MAX/ });
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 100_000; i++) deep = (deep.a = {}) as Record<string, unknown>;
    assertRefused('deeply nested env value', outcomeOf('deep env', parse({ command: 'x', env: { A: root } })), { field: 'env.A' });
    assertRefused('deeply nested retry', outcomeOf('deep retry', parse({ command: 'x', retry: root })), { field: 'retry' });
  });

  test('secret values never appear in a refusal', () => {
    const secret = 'Zq9-SECRET-VALUE';
    const rows: Array<[string, Record<string, unknown>]> = [
      ['too short', { command: 'x', secrets: { TOKEN: 'Zq9' } }],
      ['too long', { command: 'x', secrets: { TOKEN: `${'x'.repeat(200_000)}${secret}` } }],
      ['with NUL', { command: 'x', secrets: { TOKEN: `${secret}\0` } }],
      ['also in env', { command: 'x', secrets: { TOKEN: secret }, env: { TOKEN: secret } }],
    ];
    for (const [label, input] of rows) assertRefused(`secret ${label}`, outcomeOf(label, parse(input)), { field: 'secrets', notIn: label === 'too short' ? 'Zq9' : secret });
    // Keys every object has are not taken for keys env has.
    const config = outcomeOf('toString secret', parse({ command: 'x', secrets: { toString: 'abcd', constructor: 'efgh' } }));
    assert.ok(config.ok, `a secret named toString is not "in env": ${config.ok ? '' : config.error.message}`);
  });

  test('every field takes every odd value without crashing (table: fields × values)', () => {
    for (const field of TASK_CONFIG_FIELDS) {
      for (const value of ODD_VALUES) {
        const label = `${field} = ${JSON.stringify(value)?.slice(0, 40)}`;
        const outcome = outcomeOf(label, parse({ command: field === 'command' ? value : 'x', [field]: value }));
        if (outcome.ok) assertSafe(label, outcome.value as TaskConfig);
        else assertRefused(label, outcome);
      }
    }
  });

  test('seeded random configs: a typed error or a safe config, every time', () => {
    const random = seededRandom(20261130);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const good: Record<string, unknown[]> = {
      command: ['echo hi', ['printf', '%s'], 'python train.py'],
      name: ['train', 'a.b_c-d'],
      instanceType: ['a100', '8xh100', 'cpu', ['a100', 'h100']],
      env: [{ A: '1' }, { BATCH: 32, FLAG: true }],
      volumes: [[{ name: 'data' }], [{ name: 'data', mountPath: '/data', sizeGb: 10 }]],
      ports: [[8080], []],
      workingDir: ['/work'],
      image: ['python:3.11'],
      retry: [{ maxRestarts: 2 }],
      maxRunTimeHours: [1, 0],
    };
    const fields = [...TASK_CONFIG_FIELDS, 'environment', 'max_run_time_hours', 'size_gb', '__proto__'];
    let accepted = 0;
    for (let i = 0; i < 400; i++) {
      const input: Record<string, unknown> = {};
      const count = 1 + Math.floor(random() * 6);
      for (let k = 0; k < count; k++) {
        const field = pick(fields);
        const roll = random();
        input[field] = roll < 0.5 && good[field] ? pick(good[field]!) : roll < 0.75 ? pick(ODD_VALUES) : { [pick(NASTY_STRINGS)]: pick(ODD_VALUES) };
      }
      if (random() < 0.7) input.command ??= pick(good.command!);
      const label = `random case ${i}: ${JSON.stringify(input)?.slice(0, 160)}`;
      const outcome = outcomeOf(label, parse(input));
      if (outcome.ok) {
        accepted += 1;
        assertSafe(label, outcome.value as TaskConfig);
      } else assertRefused(label, outcome);
    }
    assert.ok(accepted > 20 && accepted < 380, `the generator should make both good and bad configs (accepted ${accepted} of 400)`);
  });
});
