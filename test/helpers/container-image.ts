/**
 * Container tests run real podman with no registry: the test image is a busybox-static root
 * filesystem imported with `podman import` (offline, well under a second), built once per test
 * file and reused when already there. podman runs with a containers.conf that this VM needs:
 * runtime runc (crun refuses a hybrid cgroup set-up) and explicit ulimits no higher than the hard
 * limits. A missing podman or busybox-static fails the test with what to install; .ci/run installs both.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, copyFileSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TEST_IMAGE = 'localhost/flow-test-busybox:2';
/** A folder the test image has and this machine does not. */
export const IMAGE_WORKDIR = '/flow-test-workdir';
/** A file only the test image has, and its content. */
export const IMAGE_MARKER_PATH = '/etc/flow-test-image-marker';
export const IMAGE_MARKER_TEXT = 'inside-flow-test-image';

const APPLETS = ['sh', 'cat', 'echo', 'env', 'sleep', 'ls', 'pwd', 'mkdir', 'printf', 'test', 'true', 'false', 'id', 'touch', 'rm', 'grep', 'tail', 'wc', 'date', 'kill', 'ps'];

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? (result.error?.message ?? '') };
}

function hardLimit(flag: '-Hn' | '-Hu', fallback: number): number {
  const value = Number(run('/bin/sh', ['-c', `ulimit ${flag}`]).stdout.trim());
  return Number.isInteger(value) && value > 0 ? value : fallback; // "unlimited" → the fallback
}

let confPath: string | undefined;

/** The containers.conf podman reads in tests (written once, same content every time). */
export function testContainersConf(): string {
  if (confPath !== undefined) return confPath;
  const dir = join(tmpdir(), 'flow-test-containers');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'containers.conf');
  const nofile = Math.min(20_000, hardLimit('-Hn', 20_000));
  const nproc = Math.min(32_768, hardLimit('-Hu', 32_768));
  const text = `# Written by test/helpers/container-image.ts\n[containers]\ndefault_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]\n\n[engine]\nruntime = "runc"\n`;
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current !== text) writeFileSync(path, text);
  confPath = path;
  return path;
}

/** The env for podman in tests (and for a worker that runs containers): its config, and podman first. */
export function containerTestEnv(): NodeJS.ProcessEnv {
  return { CONTAINERS_CONF: testContainersConf(), FLOW_CONTAINER_RUNTIME: 'podman' };
}

function assertPodman(): void {
  const version = run('podman', ['--version']);
  if (version.status !== 0) {
    throw new Error(`podman is needed for the container tests and is not usable here (${version.stderr.trim() || 'not on PATH'}); install it: apt-get install -y podman runc (.ci/run does)`);
  }
}

function assertStaticBusybox(): string {
  const path = '/bin/busybox';
  try {
    statSync(path);
  } catch {
    throw new Error(`${path} is missing: the test image is built from it; install it: apt-get install -y busybox-static (.ci/run does)`);
  }
  // A dynamic busybox would not run in an image without libc.
  if (run(path, ['sh', '-c', 'true']).status !== 0 || /dynamically linked/.test(run('file', [path]).stdout)) {
    throw new Error(`${path} is not a static busybox; install busybox-static (apt-get install -y busybox-static)`);
  }
  return path;
}

/** podman with the test config. */
export function podman(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  return run('podman', args, { ...process.env, ...containerTestEnv() });
}

let built = false;

/** Builds TEST_IMAGE once per test file (reused when podman has it already); returns its name. */
export function ensureTestImage(): string {
  if (built) return TEST_IMAGE;
  assertPodman();
  if (podman(['image', 'exists', TEST_IMAGE]).status === 0) {
    built = true;
    return TEST_IMAGE;
  }
  const busybox = assertStaticBusybox();
  const work = mkdtempSync(join(tmpdir(), 'flow-test-image-'));
  try {
    const root = join(work, 'root');
    for (const dir of ['bin', 'etc', 'tmp', IMAGE_WORKDIR.slice(1)]) mkdirSync(join(root, dir), { recursive: true });
    copyFileSync(busybox, join(root, 'bin', 'busybox'));
    for (const applet of APPLETS) symlinkSync('busybox', join(root, 'bin', applet));
    writeFileSync(join(root, IMAGE_MARKER_PATH), `${IMAGE_MARKER_TEXT}\n`);
    const tar = join(work, 'root.tar');
    const packed = run('tar', ['-C', root, '-cf', tar, '.']);
    if (packed.status !== 0) throw new Error(`tar of the test image failed: ${packed.stderr}`);
    // PATH for the image: an imported tar has no config of its own.
    const imported = podman(['import', '--change', 'ENV PATH=/bin', tar, TEST_IMAGE]);
    if (imported.status !== 0) throw new Error(`podman import of the test image failed: ${imported.stderr.trim()}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  built = true;
  return TEST_IMAGE;
}

/** Names of every container podman has (running or not) whose name starts with `prefix`. */
export function containerNames(prefix = 'flow-'): string[] {
  const listed = podman(['ps', '-a', '--format', '{{.Names}}']);
  if (listed.status !== 0) throw new Error(`podman ps -a failed: ${listed.stderr.trim()}`);
  return listed.stdout.split('\n').map((line) => line.trim()).filter((name) => name.startsWith(prefix));
}
