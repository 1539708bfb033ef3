import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readFleet } from '../../src/config/fleet-config';
import { loadSettings } from '../../src/config/load-config';
import { isPipelineFile, parsePipelineFile } from '../../src/config/pipeline-file';
import { parseTaskFile, parseTaskFileConfig } from '../../src/config/task-file';
import { NASTY_STRINGS, assertRefused, badInputCaseCount, outcomeOf, seededRandom } from '../helpers/bad-input';

/** Task files, pipeline files, config.yaml and the SSH fleet: malformed YAML and odd values end in a ValidationError, or a config. */
const taskFile = (text: string) => () => parseTaskFileConfig(parseTaskFile(text, 'task.yaml'));
const pipelineFile = (text: string) => () => parsePipelineFile(text, 'pipeline.yaml').config;

const ALIAS_BOMB = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefg'.split('').map((name, i) => `${name}: &${name} [${Array(9).fill(`*${'abcdefg'[i]}`).join(',')}]`),
  'command: x',
].join('\n');

/** Malformed YAML every reader must refuse with the file and a reason (never a ReferenceError or a stack). */
const MALFORMED: Array<[string, string]> = [
  ['unterminated quote', 'command: "x'],
  ['tab indentation', 'command: x\n\tname: y'],
  ['a duplicate key', 'command: x\ncommand: y'],
  ['a duplicate key deep inside', 'command: x\nenv:\n  A: 1\n  B: 2\n  A: 3'],
  ['an alias bomb', ALIAS_BOMB],
  ['an alias without its anchor', 'command: *nope'],
  ['a stray indicator', 'command: x\n: y'],
  ['an unclosed flow mapping', 'command: {x'],
  ['deep flow nesting', `command: x\nenv: ${'['.repeat(5000)}${']'.repeat(5000)}`],
  ['a key over 1024 characters', `command: x\n${'q'.repeat(5000)}: y`],
];

describe('bad input: task, pipeline and config files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flow-bad-files-'));
  let homes = 0;
  const home = (text: string) => {
    const path = join(dir, `home-${homes++}`);
    rmSync(path, { recursive: true, force: true });
    require('node:fs').mkdirSync(path);
    writeFileSync(join(path, 'config.yaml'), text);
    return path;
  };
  const settings = (text: string) => () => loadSettings({ env: { FLOW_HOME: home(text) } });
  const fleet = (text: string) => () => readFleet(home(text));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    console.log(`# bad-input cases (files): ${badInputCaseCount()}`);
  });

  test('malformed YAML is refused by every reader, naming the file', () => {
    for (const [label, text] of MALFORMED) {
      assertRefused(`task file with ${label}`, outcomeOf(label, taskFile(text)), { message: /^task\.yaml(:\d+(:\d+)?)?: / });
      assertRefused(`pipeline file with ${label}`, outcomeOf(label, pipelineFile(`steps: [{name: a, command: x}]\n${text}`)), { message: /^pipeline\.yaml/ });
      // A null key is valid YAML: config.yaml then has an unknown setting.
      assertRefused(`config.yaml with ${label}`, outcomeOf(label, settings(text)), { message: label === 'a stray indicator' ? /unknown field/ : /config\.yaml/ });
      const path = join(dir, 'p.yaml');
      writeFileSync(path, text);
      assert.equal(outcomeOf(label, () => isPipelineFile(path)).ok, true, `isPipelineFile answers for a file with ${label}`);
    }
    const duplicate = assertRefused('duplicate key', outcomeOf('dup', taskFile('command: x\nname: a\nname: b')));
    assert.match(duplicate.message, /^task\.yaml:3:1: not valid YAML: Map keys must be unique/, 'a duplicate key names its line');
  });

  test('documents of the wrong shape are refused with what a file must hold', () => {
    for (const text of ['', '~', '- a\n- b', 'hello', '42', '[1, 2]']) {
      assertRefused(`task file ${JSON.stringify(text)}`, outcomeOf(text, taskFile(text)), { message: /must be a YAML mapping/ });
      assertRefused(`pipeline file ${JSON.stringify(text)}`, outcomeOf(text, pipelineFile(text)), { field: 'steps' });
    }
    for (const text of ['- a', 'hello', '42']) assertRefused(`config.yaml ${text}`, outcomeOf(text, settings(text)), { message: /mapping of settings/ });
    assert.ok(outcomeOf('empty config.yaml', settings('')).ok, 'an empty config.yaml is no settings');
  });

  test('task files: odd values and YAML types end in a refusal naming the line, or a config', () => {
    const rows: Array<[string, string, string | undefined]> = [
      ['a binary command', 'command: !!binary aGVsbG8=', 'command'],
      ['an env list', 'command: x\nenv: [A, B]', 'env'],
      ['an empty env value', 'command: x\nenv:\n  A:', 'env.A'],
      ['a 30-digit count', 'command: x\nnum_instances: 123456789012345678901234567890', 'numInstances'],
      ['an infinite price', 'command: x\nmax_price_per_hour: .inf', 'maxPricePerHour'],
      ['a NaN price', 'command: x\nmax_price_per_hour: .nan', 'maxPricePerHour'],
      ['a NUL escape in the command', 'command: "a\\0b"', 'command'],
      ['a raw NUL in the command', 'command: a\0b', 'command'],
      ['a volume of null', 'command: x\nvolumes: [~]', 'volumes.0'],
      ['target and mount_path', 'command: x\nvolumes: [{name: data, target: /a, mount_path: /b}]', 'volumes.0.mountPath'],
      ['retries as text', 'command: x\nretries: "3"', 'retries'],
      ['retries as a number', 'command: x\nretries: 3', 'retries'],
      ['a list as a key', 'command: x\n? [a, b]\n: 1', undefined],
      ['a numeric key', 'command: x\n1: 2', '1'],
      ['a null key', 'command: x\n~: 2', undefined],
      ['__proto__', 'command: x\n__proto__: {name: evil}', undefined],
      ['__proto__ in a volume', 'command: x\nvolumes: [{name: data, __proto__: {mount_path: /x}}]', undefined],
      ['constructor', 'command: x\nconstructor: 1', 'constructor'],
      ['toString', 'command: x\ntoString: 1', 'toString'],
      ['valueOf in a volume', 'command: x\nvolumes: [{name: data, valueOf: 1}]', 'volumes.0.valueOf'],
      ['a flag-like image', 'command: x\nimage: --privileged', 'image'],
      ['a 10 MB command', `command: ${'a'.repeat(10 * 1024 * 1024)}`, 'command'],
    ];
    for (const [label, text, field] of rows) assertRefused(label, outcomeOf(label, taskFile(text)), field === undefined ? {} : { field });
    const ok: Array<[string, string]> = [
      ['a byte-order mark', '\uFEFFcommand: x'],
      ['CRLF line ends', 'command: x\r\nname: y\r\n'],
      ['an unknown tag', 'command: !python/object:os.system x'],
      ['a date as an env value', 'command: x\nenv:\n  A: 2001-12-14'],
      ['a hex count', 'command: x\nnum_instances: 0x2'],
      ['metacharacters in values', `command: 'echo "$A" | cat; ls \`pwd\`'\nenv:\n  A: "$(touch /tmp/flow-pwned-x)"\nworking_dir: /tmp/a b`],
    ];
    for (const [label, text] of ok) assert.ok(outcomeOf(label, taskFile(text)).ok, `a task file with ${label} is a config`);
  });

  test('a task file with 25,000 env entries parses in seconds (duplicate keys are checked in linear time; the quadratic check took ~55 s)', () => {
    const env = Array.from({ length: 25_000 }, (_, i) => `  K${i}: v`).join('\n');
    const outcome = outcomeOf('25k env', taskFile(`command: x\nenv:\n${env}`), 20_000);
    assert.ok(outcome.ok, '25,000 short variables are a config');
    const duplicate = assertRefused('25k env with a duplicate', outcomeOf('25k dup', taskFile(`command: x\nenv:\n${env}\n  K5: w`), 20_000));
    assert.match(duplicate.message, /^task\.yaml:25003:3: not valid YAML: Map keys must be unique/);
  });

  test('pipeline files: wrong shapes, odd names and cycles are refused naming the step', () => {
    const rows: Array<[string, string, string]> = [
      ['steps null', 'steps: ~', 'steps'],
      ['steps text', 'steps: abc', 'steps'],
      ['a null step', 'steps: [~]', 'steps.0'],
      ['a step without a name', 'steps: [{command: x}]', 'steps.0.name'],
      ['a name that is a mapping', 'name: {a: 1}\nsteps: [{name: a, command: x}]', 'name'],
      ['depends_on a mapping', 'steps: [{name: a, command: x, depends_on: {b: 1}}]', 'steps.a.dependsOn'],
      ['a step waiting for itself', 'steps: [{name: a, command: x, depends_on: a}]', 'steps.a.dependsOn'],
      ['a cycle', 'steps: [{name: a, command: x, depends_on: b}, {name: b, command: x, depends_on: a}]', 'steps'],
      ['shared volumes as text', 'volumes: data\nsteps: [{name: a, command: x}]', 'volumes'],
      ['shared volumes of numbers', 'volumes: [1, 2]\nsteps: [{name: a, command: x}]', 'steps.a.volumes.0'],
      ['pipeline: null', 'pipeline: ~', 'pipeline'],
      ['a field next to pipeline:', 'pipeline: {steps: [{name: a, command: x}]}\nextra: 1', 'extra'],
      ['a NUL in a step command', 'steps: [{name: a, command: "x\\0"}]', 'steps.a.command'],
    ];
    for (const [label, text, field] of rows) assertRefused(label, outcomeOf(label, pipelineFile(text)), { field });
    for (const text of NASTY_STRINGS) {
      assertRefused(`step name ${JSON.stringify(text)}`, outcomeOf('step name', pipelineFile(`steps: [{name: ${JSON.stringify(text)}, command: x}]`)), { field: 'steps.0.name' });
    }
    const chain = Array.from({ length: 3000 }, (_, i) => `{name: s${i}, command: x${i > 0 ? `, depends_on: s${i - 1}` : ''}}`).join(', ');
    const long = outcomeOf('3000-step chain', pipelineFile(`steps: [${chain}]`), 30_000);
    assert.ok(long.ok, 'a chain of 3,000 steps is a pipeline (cycle search is not recursive-deep enough to overflow)');
  });

  test('config.yaml and the fleet: wrong types and inherited names are refused by the setting', () => {
    const rows: Array<[string, string, string]> = [
      ['constructor at the top', 'constructor: 1', 'constructor'],
      ['toString at the top', 'toString: x', 'toString'],
      ['constructor under local', 'local:\n  constructor: 5', 'local.constructor'],
      ['temporal as text', 'temporal: abc', 'temporal'],
      ['mithril as a list', 'mithril: [1]', 'mithril'],
      ['local as a number', 'local: 5', 'local'],
      ['ssh as text', 'ssh: abc', 'ssh'],
      ['provider a mapping', 'provider: {a: 1}', 'provider'],
      ['api_key a number', 'api_key: 5', 'mithril.apiKey'],
      ['price as text', 'local: {price_per_hour: abc}', 'local.pricePerHour'],
      ['an infinite price', 'local: {price_per_hour: .inf}', 'local.pricePerHour'],
      ['a javascript: URL', 'mithril: {api_url: "javascript:alert(1)"}', 'mithril.apiUrl'],
      ['ssh_keys a number', 'mithril: {ssh_keys: 5}', 'mithril.sshKeys'],
      ['hosts as text', 'ssh: {hosts: abc}', 'ssh.hosts'],
      ['a host of null', 'ssh: {hosts: [~]}', 'ssh.hosts.0'],
      ['a host name with $()', 'ssh: {hosts: [{name: "$(touch x)", user: u, host: h}]}', 'ssh.hosts.0.name'],
      ['a port with a command', 'ssh: {hosts: [{name: a, user: u, host: h, port: "22; rm"}]}', 'ssh.hosts.0.port'],
      ['a port of 1e308', 'ssh: {hosts: [{name: a, user: u, host: h, port: 1e308}]}', 'ssh.hosts.0.port'],
      ['nested labels', 'ssh: {hosts: [{name: a, user: u, host: h, labels: {x: {y: 1}}}]}', 'ssh.hosts.0.labels.x'],
    ];
    for (const [label, text, field] of rows) assertRefused(label, outcomeOf(label, settings(text)), { field });
    // The fleet reader names the host and the field as the file spells it.
    const fleetRows: Array<[string, string, RegExp]> = [
      ['hosts as text', 'ssh: {hosts: abc}', /ssh\.hosts must be a list/],
      ['null, number and text hosts', 'ssh: {hosts: [~, 1, "x"]}', /ssh\.hosts\[0\].*ssh\.hosts\[1\].*ssh\.hosts\[2\]/],
      ['a duplicate name', 'ssh: {hosts: [{name: a, user: u, host: h}, {name: a, user: u, host: h}]}', /ssh\.hosts\[1\] \(a\): name: 'a' is used by another host/],
      ['constructor in a host', 'ssh: {hosts: [{name: a, user: u, host: h, constructor: 1}]}', /ssh\.hosts\[0\] \(a\): constructor: unknown field/],
      ['cpus of 1e308', 'ssh: {hosts: [{name: a, user: u, host: h, cpus: 1e308}]}', /cpus: must be a whole number/],
    ];
    for (const [label, text, message] of fleetRows) assertRefused(`fleet: ${label}`, outcomeOf(label, fleet(text)), { message });
  });

  test('seeded random YAML: truncated and mutated task files end in a refusal or a config', () => {
    const random = seededRandom(14_5);
    const base = [
      'name: train',
      'command: python train.py --epochs 3',
      'instance_type: 8xh100',
      'env:\n  BATCH: 32\n  NAME: "a b"',
      'volumes:\n  - name: data\n    size_gb: 10\n    mount_path: /data',
      'retries: {max_retries: 2}',
      'max_run_time_hours: 2.0',
      'ports: [8080]',
    ].join('\n');
    const noise = [':', '-', '[', ']', '{', '}', '"', "'", '&a', '*a', '!!', '\t', '\n', ' ', '#', '|', '>', '\0', '😀', '%', '@', '`', '? ', 'null', '1e308'];
    let accepted = 0;
    for (let i = 0; i < 300; i++) {
      let text = base;
      const edits = 1 + Math.floor(random() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * text.length);
        const roll = random();
        if (roll < 0.4) text = text.slice(0, at) + noise[Math.floor(random() * noise.length)]! + text.slice(at);
        else if (roll < 0.7) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 5));
        else text = text.slice(0, at);
      }
      const outcome = outcomeOf(`mutated file ${i}: ${JSON.stringify(text).slice(0, 200)}`, taskFile(text));
      if (outcome.ok) accepted += 1;
      else assertRefused(`mutated file ${i}`, outcome, { message: /^(task\.yaml|Invalid task config)/ });
    }
    assert.ok(accepted > 10 && accepted < 290, `mutations should make both valid and invalid files (valid: ${accepted} of 300)`);
  });
});
