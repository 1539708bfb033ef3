/**
 * The ssh provider beside the local one, on this machine: submit → the command starts (a marker
 * file it creates, polled every 2 ms), and log follow latency (lines carrying the time they were
 * printed, read through task.logs({ follow: true })). Floors measured in the same run: one exec
 * of `true` over the pooled SSH connection, and `sh -c true` spawned here. The hosts are real
 * sshds from the test harness (network namespaces as root, loopback otherwise).
 * Prints one JSON object on stdout; progress goes to stderr.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Flow } from '../src/client/flow';
import { readFleet } from '../src/config/fleet-config';
import { stopDaemon } from '../src/daemon/daemon-control';
import { knownHostsPath } from '../src/ssh/known-hosts';
import { SshConnections } from '../src/ssh/ssh-connections';
import { startSshHosts } from '../test/helpers/ssh-hosts';
import { writeFleetConfig } from '../test/helpers/ssh-fleet';
import { summarize } from './stats';

const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const FOLLOW_LINES = 20;
const WARMUP = 1;

async function untilExists(path: string, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** submit → the command's first action, for `runs` tasks (each stopped once measured). */
async function submitToStart(flow: Flow, provider: 'local' | 'ssh', scratch: string): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const marker = join(scratch, `${provider}-started-${i}`);
    const started = performance.now();
    const task = await flow.run(`touch ${marker}`, { provider, uploadCode: false });
    await untilExists(marker, 120_000);
    if (i >= WARMUP) samples.push(performance.now() - started);
    await task.wait();
  }
  return samples;
}

/** Print time → arrival time of each line, through the SDK's follow. */
async function followLatency(flow: Flow, provider: 'local' | 'ssh'): Promise<number[]> {
  const task = await flow.run(`for i in $(seq 1 ${FOLLOW_LINES}); do date +%s%N; sleep 0.1; done`, { provider, uploadCode: false });
  const samples: number[] = [];
  for await (const line of task.logs({ follow: true })) {
    const printedMs = Number(BigInt(line.trim()) / 1_000_000n);
    samples.push(Date.now() - printedMs);
  }
  return samples.slice(1); // the first line also carries the follower's start
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(os.tmpdir(), 'flow-bench-ssh-'));
  const scratch = mkdtempSync(join(os.tmpdir(), 'flow-bench-ssh-scratch-'));
  const fleet = await startSshHosts({ count: 1 });
  let flow: Flow | undefined;
  try {
    writeFleetConfig(home, fleet);
    const env: NodeJS.ProcessEnv = { ...process.env, FLOW_HOME: home };
    delete env.TEMPORAL_ADDRESS;
    progress('starting the daemon');
    flow = await Flow.connect({ env });
    const figures: Record<string, unknown> = {};
    for (const provider of ['local', 'ssh'] as const) {
      progress(`${provider}: submit → command started`);
      const start = await submitToStart(flow, provider, scratch);
      progress(`${provider}: log follow latency`);
      const follow = await followLatency(flow, provider);
      figures[provider] = { submitToCommandStartMs: summarize(start), logFollowLatencyMs: summarize(follow) };
    }
    const connections = new SshConnections({ knownHostsPath: knownHostsPath(home) });
    const shell = connections.shell(readFleet(home)[0]!);
    const sshExec: number[] = [];
    const spawnTrue: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      let t = performance.now();
      await shell.exec('true');
      if (i >= WARMUP) sshExec.push(performance.now() - t);
      t = performance.now();
      spawnSync('sh', ['-c', 'true']);
      if (i >= WARMUP) spawnTrue.push(performance.now() - t);
    }
    connections.close();
    const result = {
      runs: RUNS,
      hostsIsolated: fleet.isolated,
      ...figures,
      floor: { sshExecTrueMs: summarize(sshExec), bareSpawnMs: summarize(spawnTrue) },
      machine: { cpus: os.cpus().length, loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100), node: process.version },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await flow?.close().catch(() => undefined);
    await stopDaemon(home).catch(() => undefined);
    await fleet.stop();
    rmSync(home, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
