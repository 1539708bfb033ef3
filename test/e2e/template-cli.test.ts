import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { TaskConfig } from '../../src/config/task-config-api';
import { stopDaemon } from '../../src/daemon/daemon-control';
import { runCli, type CliResult } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';

const EXAMPLE_NAMES = ['minimal', 'gpu-test', 'system-info', 'training'];

/** The keys a task file sets (comments are hints, not keys). */
function keysOf(text: string): string[] {
  return Object.keys(parse(text) as Record<string, unknown>);
}

describe('flow init and flow example (compiled CLI, real daemon)', { timeout: 300_000 }, () => {
  const { home, cleanup } = tempFlowHome('flow-template-cli-');
  const env = testEnv(home);
  const root = mkdtempSync(join(tmpdir(), 'flow-template-cwd-'));
  // A folder name the task-name grammar has to clean up.
  const dir = join(root, 'My Task Dir!');
  mkdirSync(dir);
  const flow = (...args: string[]): Promise<CliResult> => runCli(args, { env, cwd: dir, timeoutMs: 120_000 });
  const fromYaml = (path: string) => TaskConfig.fromYaml(path, { onWarning: () => undefined });
  after(async () => {
    await stopDaemon(home);
    cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  test('flow init prints a commented template: name, instance_type and command set, the other fields as hints', async () => {
    const result = await flow('init');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(keysOf(result.stdout), ['name', 'instance_type', 'command']);
    const file = join(root, 'printed.yaml');
    writeFileSync(file, result.stdout);
    const config = fromYaml(file);
    assert.equal(config.name, 'my-task-dir');
    assert.equal(config.instanceType, '8xh100');
    assert.match(String(config.command), /^echo "Hello from Flow!"\nnvidia-smi .*\|\| echo /);
    assert.match(result.stdout, /^command: \|$/m, 'the command is a block literal');
    for (const hint of ['min_gpu_memory_gb', 'image', 'env', 'volumes', 'ports', 'priority', 'max_price_per_hour', 'max_run_time_hours', 'num_instances', 'region']) {
      assert.match(result.stdout, new RegExp(`^# ${hint}:`, 'm'), `no hint for ${hint}`);
    }
  });

  test('-o writes the file, refuses to overwrite it without --force, and --force overwrites', async () => {
    const written = await flow('init', '-o', 'task.yaml', '-n', 'first');
    assert.equal(written.code, 0, written.stderr);
    assert.match(written.stdout, /Wrote config to task\.yaml/);
    const path = join(dir, 'task.yaml');
    assert.equal(fromYaml(path).name, 'first');

    const refused = await flow('init', '-o', 'task.yaml', '-n', 'second');
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /task\.yaml already exists/);
    assert.match(refused.stderr, /--force/);
    assert.equal(fromYaml(path).name, 'first', 'the file is left as it was');

    const forced = await flow('init', '-o', 'task.yaml', '-n', 'second', '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(fromYaml(path).name, 'second');
  });

  test('--min-gpu-mem replaces instance_type and cannot be combined with -i (exit 3, nothing written)', async () => {
    const both = await flow('init', '-o', 'both.yaml', '-i', 'a100', '--min-gpu-mem', '40');
    assert.equal(both.code, 3, both.stderr);
    assert.match(both.stderr, /-i\/--instance-type and --min-gpu-mem cannot be combined/);
    assert.equal(existsSync(join(dir, 'both.yaml')), false);

    const memory = await flow('init', '--min-gpu-mem', '40');
    assert.equal(memory.code, 0, memory.stderr);
    assert.deepEqual(keysOf(memory.stdout), ['name', 'min_gpu_memory_gb', 'command']);
    assert.equal(parse(memory.stdout).min_gpu_memory_gb, 40);
  });

  test('seed flags become fields (snake_case, as 3.28 writes them) that TaskConfig reads back', async () => {
    const result = await flow(
      'init', '-o', 'seeded.yaml', '-n', 'train-run', '-i', '1xh100', '-c', 'python train.py\n  --epochs 3',
      '--image', 'nvidia/cuda:12.1.0-runtime-ubuntu22.04', '--env', 'A=1,B=two', '--env', 'HOSTS=a,b',
      '--port', '8888,6006', '--port', '3000-3001', '--priority', 'HIGH', '-m', '12.5', '--no-unique',
    );
    assert.equal(result.code, 0, result.stderr);
    const text = readFileSync(join(dir, 'seeded.yaml'), 'utf8');
    assert.deepEqual(keysOf(text), ['name', 'unique_name', 'instance_type', 'image', 'command', 'env', 'ports', 'priority', 'max_price_per_hour']);
    const config = fromYaml(join(dir, 'seeded.yaml'));
    assert.equal(config.name, 'train-run');
    assert.equal(parse(text).unique_name, false);
    assert.equal(config.instanceType, '1xh100');
    assert.equal(config.image, 'nvidia/cuda:12.1.0-runtime-ubuntu22.04');
    assert.equal(String(config.command).trimEnd(), 'python train.py\n  --epochs 3');
    assert.deepEqual(config.env, { A: '1', B: 'two', HOSTS: 'a,b' }); // a value with commas stays one value
    assert.deepEqual(config.ports, [3000, 3001, 6006, 8888]);
    assert.equal(config.maxPricePerHour, 12.5);
    assert.equal(parse(text).priority, 'high');
  });

  test('bad seeds exit 3 naming the flag; nothing is written', async () => {
    for (const [args, flag] of [
      [['--port', '80'], /--port: '80' is not a port from 1024/],
      [['-n', 'Bad Name'], /-n\/--name: /],
      [['-i', 'a1000'], /-i\/--instance-type: unknown instance type 'a1000'/],
      [['--env', 'NOVALUE'], /--env: 'NOVALUE' must look like KEY=VALUE/],
      [['--priority', 'urgent'], /--priority: 'urgent' is not one of low, med, high/],
      [['-m', '0'], /-m\/--max-price-per-hour: '0' is not a positive price/],
    ] as const) {
      const result = await flow('init', '-o', 'bad.yaml', ...args);
      assert.equal(result.code, 3, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, flag);
    }
    assert.equal(existsSync(join(dir, 'bad.yaml')), false);
  });

  test('the written template runs with flow run FILE -i cpu and prints "Hello from Flow!", also without a GPU', async () => {
    assert.equal((await flow('init', '-o', 'hello.yaml', '-n', 'hello-template')).code, 0);
    const run = await flow('run', 'hello.yaml', '-i', 'cpu');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Hello from Flow!$/m);
    // With a GPU nvidia-smi prints its table; without one the fallback line says so.
    assert.match(run.stdout, /NVIDIA-SMI|No GPU here/);
  });

  test('flow example lists the examples, one line each; --json as data', async () => {
    const list = await flow('example');
    assert.equal(list.code, 0, list.stderr);
    for (const name of EXAMPLE_NAMES) assert.match(list.stdout, new RegExp(`^  ${name} +\\S.+$`, 'm'), `${name} not listed`);
    const json = await flow('example', '--json');
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual((JSON.parse(json.stdout) as { name: string }[]).map((item) => item.name), EXAMPLE_NAMES);
  });

  test("--show prints only the example's task YAML, in 3.28's keys, which TaskConfig reads", async () => {
    for (const name of EXAMPLE_NAMES) {
      const shown = await flow('example', name, '--show');
      assert.equal(shown.code, 0, shown.stderr);
      assert.deepEqual(keysOf(shown.stdout), ['name', 'unique_name', 'command', 'priority', 'upload_code']);
      const file = join(root, `${name}.yaml`);
      writeFileSync(file, shown.stdout);
      const config = fromYaml(file);
      assert.equal(parse(shown.stdout).unique_name, false, `${name}: as 3.28 shows it`);
      assert.equal(config.instanceType, undefined, `${name}: the hardware is left to the provider`);
    }
    // The shown file runs as a 3.28 user would run it, with only -i cpu added; its name is its id (unique_name: false).
    const shown = join(root, 'minimal.yaml');
    const ran = await flow('run', shown, '-i', 'cpu');
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^Hello from Flow SDK!\n/);
    assert.match(ran.stderr, new RegExp(`Task ${parse(readFileSync(shown, 'utf8')).name} submitted`));
  });

  test('an unknown example exits 4 and lists the names', async () => {
    const result = await flow('example', 'trainig');
    assert.equal(result.code, 4, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /Unknown example: trainig/);
    assert.match(result.stderr, /Did you mean 'training'\?/);
    assert.match(result.stderr, new RegExp(`Available: ${EXAMPLE_NAMES.join(', ')}`));
  });

  test('flow example NAME runs it like flow run: output on stdout, exit 0, again without a name clash', async () => {
    for (let round = 0; round < 2; round++) {
      const minimal = await flow('example', 'minimal');
      assert.equal(minimal.code, 0, minimal.stderr);
      assert.match(minimal.stdout, /^Hello from Flow SDK!\n.+\n.*\d{4}/);
      assert.match(minimal.stderr, /Task minimal-example-[0-9a-f]{6} submitted/);
    }
    const training = await flow('example', 'training');
    assert.equal(training.code, 0, training.stderr);
    assert.match(training.stdout, /^step 50 {2}loss \d+\.\d{6}$/m);
    assert.match(training.stdout, /^final loss \d+\.\d{6} /m);
    assert.match(training.stdout, /Training complete!/);

    const gpu = await flow('example', 'gpu-test');
    assert.equal(gpu.code, 0, gpu.stderr);
    assert.match(gpu.stdout, /GPU test complete!|No GPU found on this machine/);

    const info = await flow('example', 'system-info');
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /=== System Information ===\nHostname: \S+/);
  });
});
