import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { buildStartupScript, envFilePath, renderStartupScript, type StartupScriptInput } from '../../src/providers/mithril/startup';
import { supervisorScript } from '../../src/providers/ssh/supervisor-script';
import { catchValidation } from '../helpers/validation-error';

function baseInput(over: Partial<StartupScriptInput> = {}): StartupScriptInput {
  return { taskId: 'task-1', name: 'train', command: 'python train.py', env: {}, secrets: {}, volumes: [], numInstances: 1, ...over };
}

/** The body of the quoted here-document that `opener` starts (the line after it up to its delimiter). */
function heredocBody(script: string, opener: string): string {
  const start = script.indexOf(opener);
  assert.ok(start >= 0, `no here-document opened by ${opener}`);
  const header = script.slice(start, script.indexOf('\n', start));
  const delimiter = /<<'([^']+)'$/.exec(header)?.[1];
  assert.ok(delimiter, `no quoted delimiter in ${header}`);
  const bodyStart = start + header.length + 1;
  const end = script.indexOf(`\n${delimiter}\n`, bodyStart - 1);
  assert.ok(end >= 0, `here-document ${delimiter} is not closed`);
  return script.slice(bodyStart, end + 1);
}

/** NAME → value from an env block (NAME BASE64 per line, "." last). */
function decodeEnvBlock(block: string): Record<string, string> {
  const lines = block.split('\n').filter((l) => l !== '');
  assert.equal(lines.at(-1), '.', 'the env block ends with "."');
  const env: Record<string, string> = {};
  for (const line of lines.slice(0, -1)) {
    const [name, value] = line.split(' ');
    env[name!] = Buffer.from(value ?? '', 'base64').toString('utf8');
  }
  return env;
}

function bashSyntaxOk(script: string): void {
  execFileSync('bash', ['-n'], { input: script });
}

const envOpener = `cat > ${envFilePath()} <<'`;

describe('Mithril startup script (text)', () => {
  test('a minimal task has the header, env file, workload, completion and exit sections, and nothing it does not need', () => {
    const built = buildStartupScript(baseInput());
    assert.equal(built.strategy, 'inline');
    assert.equal(built.bytes, Buffer.byteLength(built.script));
    assert.equal(built.rawBytes, built.bytes);
    const s = built.script;
    assert.ok(s.startsWith('#!/bin/bash\n# FLOW_ORIGIN: flow-sdk v'), s.slice(0, 80));
    assert.match(s, /^set -euo pipefail$/m);
    assert.match(s, /tee -a \/var\/log\/flow\/startup\.log/);
    assert.doesNotMatch(s, /^\s*set -[a-z]*x/m, 'set -x is never on');
    assert.ok(s.includes(envOpener));
    assert.match(s, /^chmod 600 \/var\/lib\/flow\/instances\/workload\/env$/m);
    assert.match(s, /^_flow_i=\/var\/lib\/flow\/instances\/workload$/m);
    assert.match(s, /^touch \/var\/run\/flow-startup-complete$/m);
    assert.match(s, /EXIT_CODE=%s.*> \/var\/lib\/flow\/workload-exit/);
    assert.match(s, /^mkdir -p \/workspace$/m);
    for (const absent of ['# volumes', '# multinode', '# ports', 'EOF_FLOW_CODE', '/etc/hosts', 'foundrypf', 'MITHRIL_API_KEY']) {
      assert.ok(!s.includes(absent), `${absent} should not be in a minimal script`);
    }
    bashSyntaxOk(s);
  });

  test('volumes, code, multinode and ports add their sections', () => {
    const s = renderStartupScript(
      baseInput({
        numInstances: 2,
        ports: [8080, 443],
        workingDir: '/workspace/app',
        codeArchive: Buffer.from('not really a tarball').toString('base64'),
        volumes: [{ id: 'vol_abc', name: 'data', interface: 'file', mountPath: '/data' }],
      }),
    );
    assert.match(s, /^_flow_volume vol_abc data file \/data$/m);
    assert.ok(s.includes('/dev/disk/by-id/virtio-${id:0:20}'));
    assert.ok(s.includes("base64 -d > \"$_flow_a\" <<'EOF_FLOW_CODE'"));
    assert.match(s, /tar -xzf "\$_flow_a" -C \/workspace\/app --no-same-owner/);
    assert.match(s, /awk '\$1 ~ .* && \$1 !~ \/\^127\\\.\/' \/etc\/hosts/);
    assert.match(s, /if \[ "\$_flow_count" != 2 \]/);
    assert.match(s, /export FLOW_NODE_RANK="\$_flow_rank" NODE_RANK="\$_flow_rank"/);
    assert.match(s, /^for _flow_port in 8080 443; do$/m);
    bashSyntaxOk(s);
  });

  test('the same input builds the same script (a retried activity sends the same bid)', () => {
    const input = baseInput({ env: { A: '1' }, secrets: { B: '2' } });
    assert.equal(buildStartupScript(input).script, buildStartupScript(input).script);
  });

  test('hostile env values travel base64 in the env heredoc and come back exact', () => {
    const hostile = {
      QUOTES: `it's "quoted" \`ticks\` $(touch /tmp/pwned) \${HOME}`,
      NEWLINES: 'line1\nEOF_FLOW_ENV\n.\nline4\n',
      BACKSLASH: 'a\\b\\\\c',
    };
    const s = renderStartupScript(baseInput({ env: hostile }));
    const env = decodeEnvBlock(heredocBody(s, envOpener));
    for (const [name, value] of Object.entries(hostile)) assert.equal(env[name], value, name);
    assert.equal(env.PYTHONUNBUFFERED, '1');
    assert.equal(env.FLOW_TASK_ID, 'task-1');
    assert.ok(!s.includes('$(touch /tmp/pwned)'), 'no raw hostile value in the script');
    bashSyntaxOk(s);
  });

  test('hostile commands are carried verbatim inside the supervisor and parse', () => {
    const command = `echo "it's" $HOME; printf '%s\\n' 'EOF_FLOW_SUPERVISOR'\nEOF_FLOW_SUPERVISOR\necho done`;
    const s = renderStartupScript(baseInput({ command }));
    const body = heredocBody(s, `cat > "$_flow_i/supervisor.sh" <<'`);
    assert.equal(body, supervisorScript('workload', command, undefined, { contain: false }));
    assert.ok(!s.includes("<<'EOF_FLOW_SUPERVISOR'\n"), 'a delimiter that is a line of the body is not used');
    bashSyntaxOk(s);
    const argv = ['python', '-c', 'print("a b")', "it's"];
    assert.equal(heredocBody(renderStartupScript(baseInput({ command: argv })), `cat > "$_flow_i/supervisor.sh" <<'`), supervisorScript('workload', argv, undefined, { contain: false }));
  });

  test('secrets appear only inside the 0600 env heredoc, never in clear', () => {
    const secret = 'hunter2-SECRET-value';
    const s = renderStartupScript(baseInput({ env: { PUBLIC: 'visible' }, secrets: { API_TOKEN: secret } }));
    assert.ok(!s.includes(secret), 'the secret never appears in clear');
    const encoded = Buffer.from(secret).toString('base64');
    const body = heredocBody(s, envOpener);
    assert.equal(s.split(encoded).length - 1, 1, 'the encoded secret appears exactly once');
    assert.ok(body.includes(`API_TOKEN ${encoded}\n`));
    const before = s.slice(0, s.indexOf(envOpener));
    assert.ok(before.trimEnd().endsWith('(umask 077;'), 'the file is created under umask 077');
    assert.equal(decodeEnvBlock(body).API_TOKEN, secret);
  });

  test('a script near the limit is sent as the compressed bootstrap, which round-trips with its sha256', () => {
    // Compressible but large: many env values that repeat.
    const env: Record<string, string> = {};
    for (let i = 0; i < 120; i += 1) env[`SETTING_${i}`] = `value-${i % 7}-${'x'.repeat(30)}`;
    const input = baseInput({ env });
    const built = buildStartupScript(input);
    assert.equal(built.strategy, 'compressed');
    assert.ok(built.rawBytes >= 9000, `raw ${built.rawBytes}`);
    assert.ok(built.bytes <= 10000 && built.bytes === Buffer.byteLength(built.script));
    const lines = built.script.split('\n');
    assert.equal(lines[0], '#!/bin/bash');
    assert.match(lines[1]!, /^# FLOW_ORIGIN: /);
    assert.equal(lines[2], 'set -euo pipefail');
    assert.equal(lines[3], "COMPRESSED_SCRIPT=$(cat << 'EOF_COMPRESSED_SCRIPT'");
    const payload = lines[4]!;
    assert.match(payload, /^[A-Za-z0-9+/=]+$/, 'one base64 line');
    assert.equal(lines[5], 'EOF_COMPRESSED_SCRIPT');
    const gz = Buffer.from(payload, 'base64');
    const expected = /EXPECTED_HASH="([0-9a-f]{64})"/.exec(built.script)?.[1];
    assert.equal(createHash('sha256').update(gz).digest('hex'), expected);
    assert.equal(gunzipSync(gz).toString('utf8'), renderStartupScript(input));
    assert.ok(built.script.includes('RC=0; bash "$D/startup.sh" || RC=$?'));
    bashSyntaxOk(built.script);
  });

  test('too large even compressed: a ValidationError that names the size and the fix', () => {
    const codeArchive = randomBytes(9000).toString('base64'); // incompressible
    const error = catchValidation(() => buildStartupScript(baseInput({ codeArchive })));
    assert.match(error.message, /too large: \d+ bytes compressed \(\d+ bytes before compression\), over the 10000-byte limit/);
    const size = Number(/(\d+) bytes compressed/.exec(error.message)?.[1]);
    assert.ok(size > 10000);
    assert.ok(error.suggestions.some((s) => /Upload the code instead of embedding/.test(s)));
  });

  test('the limit can be set by an option', () => {
    const small = buildStartupScript(baseInput(), { maxBytes: 100_000 });
    assert.equal(small.strategy, 'inline');
    const error = catchValidation(() => buildStartupScript(baseInput(), { maxBytes: 2000 }));
    assert.match(error.message, /over the 2000-byte limit/);
    // Inline needs 1000 bytes of room under the limit; with less, the same script is compressed.
    const compressed = buildStartupScript(baseInput(), { maxBytes: small.rawBytes + 500 });
    assert.equal(compressed.strategy, 'compressed');
    assert.ok(compressed.bytes < small.rawBytes, 'the bootstrap is smaller than the raw script');
  });

  test('bad inputs are refused before any script is built', () => {
    assert.equal(catchValidation(() => buildStartupScript(baseInput({ image: '--privileged' }))).field, 'image');
    assert.equal(catchValidation(() => buildStartupScript(baseInput({ command: [] }))).field, 'command');
    assert.equal(catchValidation(() => buildStartupScript(baseInput({ workingDir: 'relative/dir' }))).field, 'workingDir');
    assert.equal(catchValidation(() => buildStartupScript(baseInput({ env: { 'BAD-NAME': 'x' } }))).field, 'env.BAD-NAME');
    assert.equal(catchValidation(() => buildStartupScript(baseInput({ ports: [22] }))).field, 'ports.0');
    const block = { id: 'vol_1', name: 'data', interface: 'block' as const, mountPath: '/data' };
    assert.match(catchValidation(() => buildStartupScript(baseInput({ numInstances: 2, volumes: [block] }))).message, /block volume 'data' cannot be attached to a 2-node task/);
    assert.equal(catchValidation(() => buildStartupScript(baseInput({ volumes: [{ ...block, name: '../x' }] }))).field, 'volumes.0.name');
    assert.equal(catchValidation(() => buildStartupScript(baseInput({ volumes: [{ ...block, mountPath: '/a/../etc' }] }))).field, 'volumes.0.mountPath');
  });
});

/**
 * Container mode: the supervisor the startup script writes runs the command in its image. Its
 * text is checked, then it is run for real against a fake docker that records its calls.
 */
describe('Mithril startup script (container mode)', () => {
  const supervisorOf = (input: Partial<StartupScriptInput>) => heredocBody(renderStartupScript(baseInput({ image: 'nvcr.io/nvidia/pytorch:24.05-py3', ...input })), `cat > "$_flow_i/supervisor.sh" <<'`);

  test('the command runs in the image: env and secrets by name, volumes and code at their paths, host network, GPUs per runtime', () => {
    const secret = 'mithril-image-sekrit';
    const volume = { id: 'vol_1', name: 'data', interface: 'file' as const, mountPath: '/data' };
    const s = renderStartupScript(baseInput({ image: 'nvcr.io/nvidia/pytorch:24.05-py3', env: { A: '1' }, secrets: { S: secret }, volumes: [volume], codeOverSsh: true }));
    bashSyntaxOk(s);
    const body = heredocBody(s, `cat > "$_flow_i/supervisor.sh" <<'`);
    assert.ok(!body.includes(secret), 'no secret value in the supervisor');
    const run = body.split('\n').find((line) => line.startsWith('"$_flow_rt" run '));
    assert.equal(
      run,
      `"$_flow_rt" run $_flow_gpu_args --name flow-task-1 --init --pull never --label flow.task=task-1 --env PYTHONUNBUFFERED --env FLOW_TASK_ID --env FLOW_TASK_NAME --env A --env S --env FLOW_NODE_RANK --env NODE_RANK --env FLOW_NUM_NODES --env NUM_NODES --env WORLD_SIZE --env FLOW_MAIN_IP --env HEAD_NODE_IP --env HEAD_NODE --env MASTER_ADDR --env FLOW_NODE_IPS --env MASTER_PORT --env FLOW_GPUS_PER_NODE --volume /workspace:/workspace --volume /data:/data --workdir /workspace --network host nvcr.io/nvidia/pytorch:24.05-py3 /bin/sh -c 'python train.py' >> "$_flow_d/output.log" 2>&1 < /dev/null`,
    );
    assert.match(body, /_flow_gpu_args='--gpus all'; else _flow_gpu_args='--device nvidia\.com\/gpu=all'/);
    // Without code or a workingDir: the image's own working dir, nothing of the instance mounted.
    const bare = supervisorOf({});
    assert.doesNotMatch(bare, /--workdir|--volume/);
    assert.doesNotMatch(bare, /"\$_flow_sh" -c/, 'the command does not also run on the host');
  });

  /** Runs the supervisor with `bin` first on PATH; returns its exit code file, output and the runtime's calls. */
  function runSupervisor(body: string, bin: string, env: Record<string, string> = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'flow-mithril-container-'));
    try {
      writeFileSync(join(dir, 'workdir'), `${dir}\n`);
      writeFileSync(join(dir, 'supervisor.sh'), body);
      const result = spawnSync('/bin/sh', [join(dir, 'supervisor.sh'), dir], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, CALLS: join(dir, 'calls'), ...env } });
      const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '');
      return { status: result.status, exitCode: read('exit_code').trim(), output: read('output.log'), calls: read('calls'), record: read('container'), error: read('container_error').trim() };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test('run for real with a fake docker: GPUs with --gpus all, the container\'s exit code, the record stop and cleanup use', () => {
    const bin = mkdtempSync(join(tmpdir(), 'flow-fake-docker-'));
    try {
      writeFileSync(
        join(bin, 'docker'),
        `#!/bin/sh
echo "$*" >> "$CALLS"
case "$1" in
  info) exit 0 ;;
  image) exit 0 ;;
  run) echo from-the-image; exit 7 ;;
  inspect) case "$3" in *Status*) echo exited ;; *) echo 7 ;; esac ;;
esac
`,
      );
      chmodSync(join(bin, 'docker'), 0o755);
      const result = runSupervisor(supervisorOf({}), bin, { FLOW_GPUS_PER_NODE: '8' });
      assert.equal(result.exitCode, '7', result.output);
      assert.equal(result.output, 'from-the-image\n');
      assert.match(result.calls, /^run --gpus all --name flow-task-1 --init /m);
      assert.equal(result.record, `${join(bin, 'docker')}\nflow-task-1\n`);
      const cpu = runSupervisor(supervisorOf({}), bin, { FLOW_GPUS_PER_NODE: '0' });
      assert.match(cpu.calls, /^run --name flow-task-1 /m);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  test('no runtime on the instance: the command fails with what to install, and never runs on the host', () => {
    const empty = mkdtempSync(join(tmpdir(), 'flow-no-runtime-'));
    try {
      // Only the tools the supervisor needs: PATH without /usr/bin (where docker or podman may be).
      for (const tool of ['cat', 'mv', 'tail']) {
        const found = execFileSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
        writeFileSync(join(empty, tool), `#!/bin/sh\nexec ${found} "$@"\n`);
        chmodSync(join(empty, tool), 0o755);
      }
      const dir = mkdtempSync(join(tmpdir(), 'flow-mithril-container-'));
      writeFileSync(join(dir, 'workdir'), `${dir}\n`);
      writeFileSync(join(dir, 'supervisor.sh'), supervisorOf({}));
      spawnSync('/bin/sh', [join(dir, 'supervisor.sh'), dir], { encoding: 'utf8', env: { PATH: empty } });
      assert.equal(readFileSync(join(dir, 'exit_code'), 'utf8').trim(), '125');
      assert.match(readFileSync(join(dir, 'container_error'), 'utf8'), /^No container runtime on this instance to run the image: install docker .* or podman/);
      assert.match(readFileSync(join(dir, 'output.log'), 'utf8'), /^flow: No container runtime/);
      rmSync(dir, { recursive: true, force: true });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
