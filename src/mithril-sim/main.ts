import { Command, InvalidArgumentError } from 'commander';
import { startMithrilSim } from './server';

/** `flow-mithril-sim`: the simulator as a program. Its first stdout line is `listening on http://127.0.0.1:PORT`. */

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number ≥ 0');
  return n;
}

async function main(): Promise<void> {
  const program = new Command('flow-mithril-sim')
    .description('A local simulator of the Mithril API that runs instances as network namespaces with sshd (root needed for instances).')
    .option('--port <port>', 'port on 127.0.0.1 (0 picks a free one)', nonNegativeInt, 0)
    .option('--api-key <key>', 'the key requests must carry (prefer env MITHRIL_SIM_API_KEY: argv is visible to other users)')
    .option('--project <name>', 'name of the one project', 'flow-sim')
    .option('--provision-delay <ms>', 'time from allocation to an instance starting', nonNegativeInt, 1000)
    .option('--state-dir <dir>', 'where instance folders and volumes live (kept on exit); a temporary folder otherwise')
    .parse();
  const opts = program.opts<{ port: number; apiKey?: string; project: string; provisionDelay: number; stateDir?: string }>();
  const apiKey = opts.apiKey ?? process.env.MITHRIL_SIM_API_KEY;
  if (!apiKey) {
    process.stderr.write('flow-mithril-sim: give the API key to accept: env MITHRIL_SIM_API_KEY (or --api-key)\n');
    process.exit(2);
  }
  const sim = await startMithrilSim({
    apiKey,
    port: opts.port,
    projectName: opts.project,
    provisionDelayMs: opts.provisionDelay,
    stateDir: opts.stateDir,
    log: (line) => process.stderr.write(`flow-mithril-sim: ${line}\n`),
  });
  process.stdout.write(`listening on ${sim.url}\n`);
  process.stderr.write(`flow-mithril-sim: project ${sim.core.project.name} (${sim.core.project.fid}), state dir ${sim.core.stateDir}\n`);
  if (sim.instancesUnavailable) process.stderr.write(`flow-mithril-sim: ${sim.instancesUnavailable}\n`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`flow-mithril-sim: ${signal}: stopping every instance\n`);
    sim.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`flow-mithril-sim: stop failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`flow-mithril-sim: ${(error as Error).message}\n`);
  process.exit(1);
});
