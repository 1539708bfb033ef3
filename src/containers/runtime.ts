import { spawnSync } from 'node:child_process';
import { ValidationError } from '../domain';
import { findOnPath } from '../providers/local/which';

/**
 * Which container runtime runs a task's image here. Docker only when its engine answers: a docker
 * CLI without an engine (or pointed at nothing) is common and would fail every task. Podman needs
 * no daemon, so its CLI answering is enough. FLOW_CONTAINER_RUNTIME (or local.container_runtime)
 * sets the order, e.g. "podman" or "podman,docker".
 */
export const RUNTIME_KINDS = ['docker', 'podman'] as const;
export type RuntimeKind = (typeof RUNTIME_KINDS)[number];

export interface ContainerRuntime {
  kind: RuntimeKind;
  /** Absolute path of the CLI. */
  path: string;
}

export type RuntimeDetection = { found: true; runtime: ContainerRuntime } | { found: false; reasons: string[] };

const DEFAULT_ORDER: readonly RuntimeKind[] = ['docker', 'podman'];
const PROBE_TIMEOUT_MS = 10_000;

/** "podman", "docker,podman" → the order to try; empty or unset → docker then podman. */
export function runtimeOrder(setting: string | undefined): RuntimeKind[] {
  const words = (setting ?? '').split(/[\s,]+/).filter((word) => word !== '');
  if (words.length === 0) return [...DEFAULT_ORDER];
  const order: RuntimeKind[] = [];
  for (const word of words) {
    const kind = word.toLowerCase();
    if (!(RUNTIME_KINDS as readonly string[]).includes(kind)) {
      throw new ValidationError(`FLOW_CONTAINER_RUNTIME: '${word}' is not a container runtime`, {
        field: 'FLOW_CONTAINER_RUNTIME',
        suggestions: ['Use docker, podman, or both in the order to try, e.g. FLOW_CONTAINER_RUNTIME=podman,docker'],
      });
    }
    if (!order.includes(kind as RuntimeKind)) order.push(kind as RuntimeKind);
  }
  return order;
}

/** How to ask a runtime whether it can run containers: docker asks its engine, podman itself. */
function probeArgs(kind: RuntimeKind): string[] {
  return kind === 'docker' ? ['info', '--format', '{{.ServerVersion}}'] : ['version', '--format', '{{.Client.Version}}'];
}

function firstLine(text: string): string {
  return text.split('\n').map((line) => line.trim()).find((line) => line !== '') ?? '';
}

/** The first runtime in `order` that answers; else why none did (one reason per runtime). */
export function detectRuntime(options: { order?: readonly RuntimeKind[]; env?: NodeJS.ProcessEnv } = {}): RuntimeDetection {
  const env = options.env ?? process.env;
  const order = options.order ?? runtimeOrder(env.FLOW_CONTAINER_RUNTIME);
  const reasons: string[] = [];
  for (const kind of order) {
    const path = findOnPath(kind, env);
    if (path === undefined) {
      reasons.push(`${kind}: not installed (not on PATH)`);
      continue;
    }
    const probe = spawnSync(path, probeArgs(kind), { env, encoding: 'utf8', timeout: PROBE_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
    if (probe.status === 0) return { found: true, runtime: { kind, path } };
    const why = probe.error ? probe.error.message : firstLine(probe.stderr ?? '') || `exit ${probe.status}`;
    reasons.push(kind === 'docker' ? `docker: the CLI is here but its engine does not answer (${why})` : `podman: ${why}`);
  }
  return { found: false, reasons };
}

/** What to install when no runtime answers; the same words for preflight and flow doctor. */
export const INSTALL_RUNTIME_SUGGESTIONS = [
  'Install podman (Debian/Ubuntu: sudo apt-get install -y podman runc) or start a Docker engine',
  'Or run the command on this machine without its image: flow run --no-image (or FLOW_NO_IMAGE=1)',
];
