import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { checkContainers, containerFix } from '../../src/cli/doctor-container';
import { detectRuntime } from '../../src/containers';
import { ProviderError, ValidationError } from '../../src/domain/errors';
import { checkContainerRuntime } from '../../src/providers/local/preflight-checks';
import type { Provider } from '../../src/providers/provider';
import { containerTestEnv, ensureTestImage } from '../helpers/container-image';

const scratch = mkdtempSync(join(tmpdir(), 'flow-doctor-container-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A fake CLI in its own folder: prints `stdout`, says `stderr`, exits `code`. */
function fakeCli(name: string, code: number, stdout = '', stderr = ''): string {
  const dir = mkdtempSync(join(scratch, `${name}-`));
  writeFileSync(join(dir, name), `#!/bin/sh\nprintf '%s' '${stdout}'\nprintf '%s\\n' '${stderr}' >&2\nexit ${code}\n`);
  chmodSync(join(dir, name), 0o755);
  return dir;
}

describe('container runtime detection', () => {
  test('docker only when its engine answers; else podman', () => {
    const docker = fakeCli('docker', 1, '', 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock');
    const podman = fakeCli('podman', 0, '4.3.1');
    const found = detectRuntime({ order: ['docker', 'podman'], env: { PATH: `${docker}:${podman}` } });
    assert.deepEqual(found, { found: true, runtime: { kind: 'podman', path: join(podman, 'podman') } });
    const none = detectRuntime({ order: ['docker', 'podman'], env: { PATH: docker } });
    assert.equal(none.found, false);
    assert.deepEqual(!none.found && none.reasons, [
      'docker: the CLI is here but its engine does not answer (Cannot connect to the Docker daemon at unix:///var/run/docker.sock)',
      'podman: not installed (not on PATH)',
    ]);
  });

  test('the order setting wins: podman first even when docker answers', () => {
    const docker = fakeCli('docker', 0, '24.0.7');
    const podman = fakeCli('podman', 0, '4.3.1');
    const found = detectRuntime({ order: ['podman', 'docker'], env: { PATH: `${docker}:${podman}` } });
    assert.equal(found.found && found.runtime.kind, 'podman');
  });

  test('preflight: no runtime refuses the task naming image and what to install', () => {
    const provider = {
      containerRuntime: () => {
        throw new ProviderError('No container runtime here to run the task\'s image (podman: not installed (not on PATH))', { retryable: false, suggestions: ['Install podman'] });
      },
    } as unknown as Provider;
    assert.throws(() => checkContainerRuntime(provider, ''), (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.field, 'image');
      assert.match(error.message, /^image: No container runtime here .*; nothing was submitted$/);
      assert.deepEqual(error.suggestions, ['Install podman']);
      return true;
    });
  });
});

describe('flow doctor: container runtime', () => {
  test('no runtime: a warning with what to install', async () => {
    const result = await checkContainers({ PATH: join(scratch, 'empty') });
    assert.equal(result.status, 'warn');
    assert.match(result.detail, /^none: docker: not installed .*podman: not installed/);
    assert.match(result.fix ?? '', /apt-get install -y podman runc/);
  });

  test('podman with this machine\'s settings runs a trivial container', async () => {
    ensureTestImage();
    const result = await checkContainers({ ...process.env, ...containerTestEnv() }, { order: 'podman' });
    assert.equal(result.status, 'pass', `${result.detail} ${result.fix ?? ''}`);
    assert.match(result.detail, /^podman runs containers \(tried /);
  });

  test('a container that cannot start fails, with the runtime\'s message and the fix', async () => {
    ensureTestImage();
    const conf = join(scratch, 'broken-containers.conf');
    writeFileSync(conf, '[engine]\nruntime = "flow-no-such-runtime"\n');
    const result = await checkContainers({ ...process.env, CONTAINERS_CONF: conf }, { order: 'podman' });
    assert.equal(result.status, 'fail', result.detail);
    // podman 4.3 refuses to start at all with a runtime it cannot find; later ones fail at run.
    assert.match(result.detail, /^podman(:| could not run a container from) .*flow-no-such-runtime/);
    assert.match(result.fix ?? '', /runtime = "runc"/);
  });

  test('the fix follows the message: runc for cgroup errors, ulimits for limit errors', () => {
    assert.match(containerFix('crun: cannot set cgroup: Invalid argument: OCI runtime error'), /runtime = "runc"/);
    assert.match(containerFix('error setting rlimit type 7: operation not permitted'), /default_ulimits/);
  });
});
