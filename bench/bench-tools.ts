/** What the benchmark scripts share: run counts, timing, processes, the machine. */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const FLOW_CLI = join(REPO_ROOT, 'bin', 'flow.js');

export const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** A positive whole number from the environment, or `fallback`; a bad value names the variable. */
export function envCount(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return value;
}

/** Milliseconds an async step takes. */
export async function timed<T>(step: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await step();
  return { ms: performance.now() - start, value };
}

export interface ProcessResult {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns a process and resolves once it has exited and its output is drained, with its wall time. */
export function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ProcessResult> {
  return new Promise((resolvePromise, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolvePromise({ ms: performance.now() - start, code, stdout, stderr }));
  });
}

/** Wall time of `sh -c true` until it exits: the floor for starting any process here. */
export async function bareSpawnMs(): Promise<number> {
  const result = await runProcess('sh', ['-c', 'true']);
  if (result.code !== 0) throw new Error(`sh -c true exited with ${result.code}`);
  return result.ms;
}

/** Wall time of a fresh `node -e 0`: the floor for any Node CLI. */
export async function nodeStartupMs(): Promise<number> {
  const result = await runProcess(process.execPath, ['-e', '0']);
  if (result.code !== 0) throw new Error(`node -e 0 exited with ${result.code}`);
  return result.ms;
}

export function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadavg: os.loadavg().map((load) => Math.round(load * 100) / 100),
  };
}

/** Warm-up runs every figure discards before it keeps samples. */
export const WARMUP_RUNS = 2;

/** Runs `measure` WARMUP_RUNS + runs times; returns each key's samples after the warm-up. */
export async function sample<K extends string>(label: string, runs: number, measure: () => Promise<Record<K, number>>): Promise<Record<K, number[]>> {
  const samples = {} as Record<K, number[]>;
  for (let i = 0; i < WARMUP_RUNS + runs; i++) {
    const result = await measure();
    if (i < WARMUP_RUNS) continue;
    for (const key of Object.keys(result) as K[]) (samples[key] ??= []).push(result[key]);
  }
  progress(`${label}: done`);
  return samples;
}
