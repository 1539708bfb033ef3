/**
 * The benchmark's figures under load: throughput of many `true` tasks beside a bare worker's
 * (with the Flow worker's peak RSS meanwhile), the live follow latency, and `flow logs` of a
 * large log beside `cat` of the same file.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Flow } from '../src/client/flow';
import { flowPaths } from '../src/config/flow-home';
import { readDaemonState } from '../src/daemon/daemon-state';
import type { BareWorker } from './bare/bare-worker';
import { FLOW_CLI, runProcess } from './bench-tools';

/** The Flow worker's resident memory in MB, from /proc (null where there is none). */
function workerRssMb(home: string): number | null {
  const pid = readDaemonState(flowPaths(home).daemonState)?.workerPid;
  if (pid === undefined) return null;
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) / 1024;
  } catch {
    return null;
  }
}

export interface Throughput {
  flowPerSecond: number;
  barePerSecond: number;
  flowWallMs: number;
  bareWallMs: number;
  workerRssIdleMb: number | null;
  workerRssPeakMb: number | null;
}

/** `count` `true` tasks submitted at once, until all completed; then `count` bare workflows the same way. */
export async function throughput(flow: Flow, bare: BareWorker, home: string, count: number): Promise<Throughput> {
  const workerRssIdleMb = workerRssMb(home);
  let workerRssPeakMb = workerRssIdleMb;
  const sampler = setInterval(() => {
    const rss = workerRssMb(home);
    if (rss !== null) workerRssPeakMb = Math.max(workerRssPeakMb ?? 0, rss);
  }, 250);
  let flowWallMs: number;
  try {
    const settings = flow.submissionSettings();
    const start = performance.now();
    const ids = await Promise.all(Array.from({ length: count }, (_, i) => flow.submit({ command: 'true', name: `bench-load-${i}` }, {}, { settings })));
    const outcomes = await Promise.all(ids.map((id) => flow.task(id).wait()));
    flowWallMs = performance.now() - start;
    const notCompleted = outcomes.filter((outcome) => outcome.status !== 'completed').length;
    if (notCompleted > 0) throw new Error(`${notCompleted} of ${count} true tasks did not complete`);
  } finally {
    clearInterval(sampler);
  }
  const bareStart = performance.now();
  await Promise.all(Array.from({ length: count }, () => bare.execute()));
  const bareWallMs = performance.now() - bareStart;
  return {
    flowPerSecond: (count * 1000) / flowWallMs,
    barePerSecond: (count * 1000) / bareWallMs,
    flowWallMs,
    bareWallMs,
    workerRssIdleMb,
    workerRssPeakMb,
  };
}

/** Print time → the follower sees the line, for `lines` lines printed 50 ms apart (the first left out: it includes the follower's start). */
export async function followLatency(flow: Flow, lines: number): Promise<number[]> {
  const task = await flow.run(`for i in $(seq 1 ${lines}); do date +%s%N; sleep 0.05; done`, { uploadCode: false });
  const samples: number[] = [];
  for await (const line of task.logs({ follow: true })) {
    const printedMs = Number(BigInt(line.trim()) / 1_000_000n);
    samples.push(Date.now() - printedMs);
  }
  if (samples.length !== lines) throw new Error(`the follower saw ${samples.length} of ${lines} lines`);
  return samples.slice(1);
}

export interface LogCopy {
  bytes: number;
  flowLogsMs: number[];
  catMs: number[];
  /** A bare `node -e` copying the file in 1 MB reads: what any Node CLI could reach (start-up included). */
  nodeCopyMs: number[];
}

/** The bare Node copy: synchronous 1 MB reads of argv[1] written to stdout (fd 1). */
const NODE_COPY = "const fs=require('fs');const fd=fs.openSync(process.argv[1],'r');const b=Buffer.allocUnsafe(1<<20);let n;while((n=fs.readSync(fd,b,0,b.length,null))>0)fs.writeSync(1,b,0,n)";

/**
 * A task writes `megabytes` MB of 100-byte lines; then `flow logs ID > /dev/null`, `cat FILE > /dev/null`
 * and the bare Node copy are timed alternately.
 */
export async function logCopy(flow: Flow, home: string, env: NodeJS.ProcessEnv, megabytes: number, runs: number): Promise<LogCopy> {
  const bytes = megabytes * 1024 * 1024;
  const line = 'x'.repeat(99);
  const task = await flow.run(`yes ${line} | head -c ${bytes}`, { uploadCode: false });
  const outcome = await task.wait();
  if (outcome.status !== 'completed') throw new Error(`the ${megabytes} MB log task ended ${outcome.status}`);
  const file = join(flowPaths(home).logs, task.taskId, '0.log');
  const size = statSync(file).size;
  if (size < bytes) throw new Error(`${file} holds ${size} bytes, not ${bytes}`);
  const flowLogsMs: number[] = [];
  const catMs: number[] = [];
  const nodeCopyMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const viaFlow = await runProcess('sh', ['-c', `"${process.execPath}" "${FLOW_CLI}" logs ${task.taskId} > /dev/null`], env);
    if (viaFlow.code !== 0) throw new Error(`flow logs exited ${viaFlow.code}: ${viaFlow.stderr}`);
    const viaCat = await runProcess('sh', ['-c', `cat "${file}" > /dev/null`]);
    if (viaCat.code !== 0) throw new Error(`cat exited ${viaCat.code}: ${viaCat.stderr}`);
    const viaNode = await runProcess('sh', ['-c', `"${process.execPath}" -e "${NODE_COPY}" "${file}" > /dev/null`]);
    if (viaNode.code !== 0) throw new Error(`the bare node copy exited ${viaNode.code}: ${viaNode.stderr}`);
    flowLogsMs.push(viaFlow.ms);
    catMs.push(viaCat.ms);
    nodeCopyMs.push(viaNode.ms);
  }
  return { bytes: size, flowLogsMs, catMs, nodeCopyMs };
}
