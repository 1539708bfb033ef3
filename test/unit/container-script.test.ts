import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { PullPolicy } from '../../src/containers';
import { containerScriptLines, type ContainerLaunch } from '../../src/providers/local/container-launch';

const scratch = mkdtempSync(join(tmpdir(), 'flow-container-script-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Runs the supervisor's container lines against a fake runtime that records its calls: `image
 * inspect` answers per `present`, `pull` per `pullWorks`; `run` prints a line and exits `runCode`
 * (default 7); the container is then in `state` (default exited) with exit code 7.
 */
function runLines(options: { policy: PullPolicy; present: boolean; pullWorks?: boolean; image?: string; runCode?: number; runSays?: string; state?: string }) {
  const dir = mkdtempSync(join(scratch, 'case-'));
  const calls = join(dir, 'calls');
  const runtime = join(dir, 'podman');
  writeFileSync(
    runtime,
    `#!/bin/sh
echo "$*" >> '${calls}'
case "$1 $2" in
  "image inspect") [ ${options.present ? 0 : 1} = 0 ] || { echo "Error: ${'$'}3: image not known" >&2; exit 1; } ;;
  "pull "*) echo "Trying to pull $2..."; [ ${options.pullWorks ? 0 : 1} = 0 ] || { echo "Error: initializing source: no such host" >&2; exit 125; } ;;
  "run "*) echo "${options.runSays ?? 'from the container'}"; exit ${options.runCode ?? 7} ;;
  "inspect --format") case "$3" in *Status*) echo "${options.state ?? 'exited'}" ;; *) echo 7 ;; esac ;;
  "wait "*) echo 7 ;;
esac
`,
  );
  chmodSync(runtime, 0o755);
  const launch: ContainerLaunch = {
    runtime: { kind: 'podman', path: runtime },
    name: 'flow-t-0',
    image: options.image ?? 'localhost/img:1',
    pullPolicy: options.policy,
    runArgs: ['run', '--name', 'flow-t-0', options.image ?? 'localhost/img:1', 'true'],
    errorPath: join(dir, 'container_error'),
  };
  const output = join(dir, 'output.log');
  const script = `finish() { echo "$1" > '${join(dir, 'code')}'; exit "$1"; }\n${containerScriptLines(launch, output)}`;
  const result = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', cwd: dir });
  const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');
  return {
    status: result.status,
    // The first two words of each call; for inspect, what it asked for.
    calls: read(calls).trim().split('\n').map((line) => (line.startsWith('inspect ') ? `inspect ${/State\.(\w+)/.exec(line)?.[1]}` : line.split(' ').slice(0, 2).join(' '))),
    output: read(output),
    imageError: read(join(dir, 'container_error')).trim(),
    dir,
  };
}

describe('the supervisor\'s container lines (fake runtime)', () => {
  test('missing: an image already here is not pulled; the exit code is the container\'s, read back with wait', () => {
    const result = runLines({ policy: 'missing', present: true });
    assert.equal(result.status, 7);
    assert.deepEqual(result.calls, ['image inspect', 'run --name', 'inspect Status', 'inspect ExitCode']);
    assert.equal(result.output, 'from the container\n');
    assert.equal(result.imageError, '');
  });

  test('missing: an absent image is pulled, its progress in the log', () => {
    const result = runLines({ policy: 'missing', present: false, pullWorks: true });
    assert.equal(result.status, 7);
    assert.deepEqual(result.calls, ['image inspect', 'pull localhost/img:1', 'run --name', 'inspect Status', 'inspect ExitCode']);
    assert.equal(result.output, 'flow: pulling image localhost/img:1 with podman\nTrying to pull localhost/img:1...\nfrom the container\n');
  });

  test('a pull that fails: exit 125, the image and the runtime\'s message recorded, nothing run', () => {
    const result = runLines({ policy: 'missing', present: false, pullWorks: false });
    assert.equal(result.status, 125);
    assert.ok(!result.calls.includes('run --name'));
    assert.equal(result.imageError, 'image localhost/img:1 could not be pulled with podman: Error: initializing source: no such host');
    assert.match(result.output, /flow: image localhost\/img:1 could not be pulled with podman: Error: initializing source: no such host\n$/);
  });

  test('always pulls even an image that is here; never pulls nothing and fails on an absent one', () => {
    assert.deepEqual(runLines({ policy: 'always', present: true, pullWorks: true }).calls, ['pull localhost/img:1', 'run --name', 'inspect Status', 'inspect ExitCode']);
    const never = runLines({ policy: 'never', present: false });
    assert.equal(never.status, 125);
    assert.ok(!never.calls.some((call) => call.startsWith('pull') || call.startsWith('run')));
    assert.match(never.imageError, /^image localhost\/img:1 is not on this machine and the pull policy is never \(podman: Error: .*image not known\)$/);
    assert.equal(runLines({ policy: 'never', present: true }).status, 7);
  });

  test('a container of this name still running (the client cut short, or already there) is waited for', () => {
    const result = runLines({ policy: 'missing', present: true, runCode: 125, runSays: 'Error: name flow-t-0 is already in use', state: 'running' });
    assert.equal(result.status, 7);
    assert.deepEqual(result.calls, ['image inspect', 'run --name', 'inspect Status', 'wait flow-t-0']);
    assert.equal(result.imageError, '');
  });

  test('a container that never started fails with the runtime\'s message, not the client\'s exit code alone', () => {
    const says = 'Error: workdir /nope does not exist on container 1ea562';
    const result = runLines({ policy: 'missing', present: true, runCode: 125, runSays: says, state: 'created' });
    assert.equal(result.status, 125);
    assert.equal(result.imageError, `container flow-t-0 did not start (podman): ${says}`);
  });

  test('an image name is never shell code', () => {
    const result = runLines({ policy: 'never', present: false, image: 'x$(touch pwned)`touch pwned2`' });
    assert.equal(result.status, 125);
    assert.ok(!existsSync(join(result.dir, 'pwned')) && !existsSync(join(result.dir, 'pwned2')));
    assert.match(result.imageError, /^image x\$\(touch pwned\)`touch pwned2` is not on this machine/);
  });
});
