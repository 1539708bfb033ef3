import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ProviderError } from '../../src/domain/errors';
import type { NodeSpec } from '../../src/domain';
import type { HostShell } from '../../src/ssh/host-shell';
import { remoteContainer } from '../../src/providers/ssh/remote-container';
import { detectRemoteRuntime } from '../../src/providers/ssh/remote-runtime';
import { supervisorScript } from '../../src/providers/ssh/supervisor-script';

const scratch = mkdtempSync(join(tmpdir(), 'flow-ssh-container-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A "host" that runs scripts here with /bin/sh and only `path` on PATH. */
function localShell(path: string): HostShell {
  return {
    label: 'gpu1 (root@10.0.0.2:22)',
    async exec(command) {
      const result = spawnSync('/bin/sh', ['-c', command], { env: { PATH: path, HOME: '/home/u' } });
      return { code: result.status ?? 1, stdout: result.stdout, stderr: result.stderr, truncated: false, timedOut: false };
    },
    readFile: () => Promise.reject(new Error('unused')),
    writeFile: () => Promise.reject(new Error('unused')),
    putFile: () => Promise.reject(new Error('unused')),
    getFile: () => Promise.reject(new Error('unused')),
  };
}

/** A bin folder with the few tools the detect script uses, plus fake runtimes exiting `codes`. */
function binWith(runtimes: Record<string, number>): string {
  const bin = mkdtempSync(join(scratch, 'bin-'));
  for (const [name, code] of Object.entries(runtimes)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n[ ${code} = 0 ] || echo "Cannot connect to the ${name} daemon" >&2\nexit ${code}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return `${bin}:${toolsOnly()}`;
}

/** A folder with only the tools the scripts use (head, cat): no docker or podman of this machine. */
let tools: string | undefined;
function toolsOnly(): string {
  if (tools) return tools;
  tools = mkdtempSync(join(scratch, 'tools-'));
  for (const tool of ['head', 'cat']) {
    const found = spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(join(tools, tool), `#!/bin/sh\nexec ${found} "$@"\n`);
    chmodSync(join(tools, tool), 0o755);
  }
  return tools;
}

const spec = (extra: Partial<NodeSpec> = {}): NodeSpec & { image: string } => ({
  taskId: 't1',
  rank: 0,
  attempt: 0,
  command: 'echo hi',
  env: { A: '1' },
  secrets: { S: 'sekrit' },
  volumes: [{ name: 'data', mountPath: '/data', sizeGb: 1 }],
  instanceType: 'cpu',
  image: 'ghcr.io/x/y:1',
  ...extra,
});

describe('containers on ssh hosts', () => {
  test('the runtime is looked for on the host: podman when docker\'s engine does not answer; $HOME comes back', async () => {
    const found = await detectRemoteRuntime(localShell(binWith({ docker: 1, podman: 0 })), ['docker', 'podman']);
    assert.equal(found.runtime.kind, 'podman');
    assert.match(found.runtime.path, /\/podman$/);
    assert.equal(found.home, '/home/u');
  });

  test('no runtime on the host: a final error naming the host, why, and what to install', async () => {
    const error = await detectRemoteRuntime(localShell(binWith({ docker: 1 })), ['docker', 'podman']).then(
      () => assert.fail('should fail'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof ProviderError, String(error));
    assert.equal(error.retryable, false);
    assert.match(error.message, /^No container runtime on gpu1 \(root@10\.0\.0\.2:22\)/);
    assert.match(error.message, /docker: the CLI is here but its engine does not answer \(Cannot connect to the docker daemon\)/);
    assert.match(error.message, /podman: not installed/);
    assert.ok(error.suggestions.some((line) => /apt-get install -y podman/.test(line) && /gpu1/.test(line)), error.suggestions.join('\n'));
  });

  test('the supervisor runs the image with env and secrets by name, volumes bind-mounted, host network, GPUs per runtime', () => {
    const container = remoteContainer({
      spec: spec({ workingDir: '/work' }),
      runtime: { kind: 'docker', path: '/usr/bin/docker' },
      home: '/home/u',
      pullPolicy: 'missing',
      gpus: true,
      envNames: ['PYTHONUNBUFFERED', 'A', 'S'],
    });
    assert.equal(container.name, 'flow-t1-0');
    const script = supervisorScript('i1', 'echo hi', container.lines);
    assert.ok(!script.includes('sekrit'), 'no secret value in the script');
    const run = script.split('\n').find((line) => line.startsWith('/usr/bin/docker run '));
    assert.equal(
      run,
      `/usr/bin/docker run --name flow-t1-0 --init --pull never --label flow.task=t1 --label flow.rank=0 --env PYTHONUNBUFFERED --env A --env S --volume /home/u/.flow-host/volumes/data:/data --workdir /work --network host --gpus all ghcr.io/x/y:1 /bin/sh -c 'echo hi' >> "$_flow_d/output.log" 2>&1 < /dev/null`,
    );
    assert.match(script, /_flow_finish \$code/);
    // The host command is not run on the host as well.
    assert.ok(!script.includes('"$_flow_sh" -c'), script);
  });

  test('uploaded code is mounted at the working dir (or /flow/code); podman gets the CDI GPU device', () => {
    const container = remoteContainer({
      spec: spec({ volumes: [] }),
      runtime: { kind: 'podman', path: '/usr/bin/podman' },
      home: '/home/u',
      codeDir: '$HOME/.flow-host/instances/i1/work',
      pullPolicy: 'never',
      gpus: true,
      envNames: [],
    });
    assert.match(container.lines, /--volume \/home\/u\/\.flow-host\/instances\/i1\/work:\/flow\/code --workdir \/flow\/code --network host --device nvidia\.com\/gpu=all /);
    assert.match(container.lines, /pull policy is never/);
  });
});
