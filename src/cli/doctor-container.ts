/**
 * `flow doctor`'s container check: a runtime answers, and it really runs a container (the
 * failures that matter — an OCI runtime that refuses the host's cgroups, ulimits above the hard
 * limit — only show when a container starts). Run here, on the machine the local provider uses.
 */
import { execFile } from 'node:child_process';
import { detectRuntime, INSTALL_RUNTIME_SUGGESTIONS, runtimeOrder, type ContainerRuntime } from '../containers';
import type { CheckResult } from './doctor-checks';

const NAME = 'container runtime';
const TOKEN = 'flow-doctor-container-ok';

function run(runtime: ContainerRuntime, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(runtime.path, args, { env, timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      const why = error?.killed ? `no answer within ${timeoutMs} ms` : String(stderr);
      resolve({ ok: !error, stdout: String(stdout), stderr: why });
    });
  });
}

/** The fix for a container that would not start, from the runtime's message. */
export function containerFix(message: string): string {
  // Limits first: their messages also say "OCI".
  if (/ulimit|rlimit|nofile|nproc|too many open files/i.test(message)) {
    return 'In containers.conf set [containers] default_ulimits = ["nofile=N:N", "nproc=M:M"], with N at most `ulimit -Hn` and M at most `ulimit -Hu` (e.g. nofile=20000:20000, nproc=32768:32768)';
  }
  if (/cgroup|crun|OCI runtime|runtime .* not found/i.test(message)) {
    return 'Run containers with runc: apt-get install runc, and in containers.conf (/etc/containers/containers.conf, or the file CONTAINERS_CONF names) set [engine] runtime = "runc"';
  }
  return 'Check the runtime on its own (podman run --rm IMAGE true); on some hosts containers.conf needs [engine] runtime = "runc" and [containers] default_ulimits no higher than ulimit -Hn';
}

function firstLines(text: string): string {
  return text.split('\n').map((line) => line.trim()).filter((line) => line !== '').slice(0, 2).join(' ') || 'no message';
}

export async function checkContainers(env: NodeJS.ProcessEnv, options: { order?: string; timeoutMs?: number } = {}): Promise<CheckResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  let order;
  try {
    order = runtimeOrder(options.order ?? env.FLOW_CONTAINER_RUNTIME);
  } catch (error) {
    return { name: NAME, status: 'fail', detail: (error as Error).message, fix: 'Use docker, podman, or both in order, e.g. FLOW_CONTAINER_RUNTIME=podman,docker' };
  }
  const detection = detectRuntime({ order, env });
  // Only tasks with an image need one: without it those are refused, host tasks run as ever.
  if (!detection.found) {
    // podman installed but refusing to start (its config) is a fault to fix, not a missing tool.
    const broken = detection.reasons.find((reason) => reason.startsWith('podman:') && !reason.includes('not installed'));
    if (broken !== undefined) return { name: NAME, status: 'fail', detail: `${broken}; tasks with an image are refused`, fix: containerFix(broken) };
    return { name: NAME, status: 'warn', detail: `none: ${detection.reasons.join('; ')}; tasks with an image are refused`, fix: INSTALL_RUNTIME_SUGGESTIONS.join('. ') };
  }
  const { runtime } = detection;
  const listed = await run(runtime, ['images', '--format', '{{.Repository}}:{{.Tag}}'], env, timeoutMs);
  const image = listed.stdout.split('\n').map((line) => line.trim()).find((line) => line !== '' && !line.includes('<none>'));
  if (!listed.ok || image === undefined) {
    return {
      name: NAME,
      status: 'warn',
      detail: `${runtime.kind} (${runtime.path}) answers, but there is no image here to try a container with${listed.ok ? '' : ` (${firstLines(listed.stderr)})`}`,
      fix: `Pull or build any small image (e.g. ${runtime.kind} pull busybox), then run flow doctor again`,
    };
  }
  const tried = await run(runtime, ['run', '--rm', '--pull', 'never', '--network', 'host', '--entrypoint', '/bin/sh', image, '-c', `echo ${TOKEN}`], env, timeoutMs);
  if (tried.ok && tried.stdout.includes(TOKEN)) return { name: NAME, status: 'pass', detail: `${runtime.kind} runs containers (tried ${image})` };
  const message = firstLines(tried.stderr);
  return { name: NAME, status: 'fail', detail: `${runtime.kind} could not run a container from ${image}: ${message}`, fix: containerFix(message) };
}
