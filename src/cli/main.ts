import { Command, CommanderError } from 'commander';
import { usePrivateUmask } from '../config/flow-home';
import { EXIT, reportError } from './exit-codes';
import { exitWhenFlushed, handleClosedOutput } from './process-exit';

// Before anything is written: Flow's files (logs, state, instance output) are private.
usePrivateUmask();
handleClosedOutput();
// A script's `kill` (SIGTERM) ends any command with 143, as in the Python CLI, after output is flushed.
process.once('SIGTERM', () => void exitWhenFlushed(EXIT.terminated));

// Command modules import the heavy SDK parts lazily, so `flow --help` stays fast.
const program = new Command()
  .name('flow')
  .description('Run GPU work as durable tasks: on this machine, your servers, or a GPU cloud.')
  .version(require('../../../package.json').version)
  .showSuggestionAfterError(true)
  .exitOverride();

/**
 * Every command, in the order help lists them; each module registers the one command it is
 * named after. Loaded on demand: `flow run ...` loads run's module only, so start-up does not
 * pay for the others. Help, a version or an unknown command register them all.
 */
type Configure = (program: Command) => void;
const COMMANDS: ReadonlyArray<readonly [name: string, load: () => Configure]> = [
  ['setup', () => (require('./commands/setup') as typeof import('./commands/setup')).configureSetupCommand],
  ['init', () => (require('./commands/init') as typeof import('./commands/init')).configureInitCommand],
  ['example', () => (require('./commands/example') as typeof import('./commands/example')).configureExampleCommand],
  ['run', () => (require('./commands/run') as typeof import('./commands/run')).configureRunCommand],
  ['status', () => (require('./commands/status') as typeof import('./commands/status')).configureStatusCommand],
  ['logs', () => (require('./commands/logs') as typeof import('./commands/logs')).configureLogsCommand],
  ['cancel', () => (require('./commands/cancel') as typeof import('./commands/cancel')).configureCancelCommand],
  ['volumes', () => (require('./commands/volumes') as typeof import('./commands/volumes')).configureVolumesCommand],
  ['instances', () => (require('./commands/instances') as typeof import('./commands/instances')).configureInstancesCommand],
  ['fleet', () => (require('./commands/fleet') as typeof import('./commands/fleet')).configureFleetCommand],
  ['ssh', () => (require('./commands/ssh') as typeof import('./commands/ssh')).configureSshCommand],
  ['port-forward', () => (require('./commands/port-forward') as typeof import('./commands/port-forward')).configurePortForwardCommand],
  ['config', () => (require('./commands/config') as typeof import('./commands/config')).configureConfigCommand],
  ['doctor', () => (require('./commands/doctor') as typeof import('./commands/doctor')).configureDoctorCommand],
  ['gc', () => (require('./commands/gc') as typeof import('./commands/gc')).configureGcCommand],
  ['daemon', () => (require('./commands/daemon') as typeof import('./commands/daemon')).configureDaemonCommand],
  ['worker', () => (require('./commands/worker') as typeof import('./commands/worker')).configureWorkerCommand],
  ['setup-cluster', () => (require('./commands/setup-cluster') as typeof import('./commands/setup-cluster')).configureSetupClusterCommand],
  ['codec-server', () => (require('./commands/codec-server') as typeof import('./commands/codec-server')).configureCodecServerCommand],
];

const named = COMMANDS.find(([name]) => name === process.argv[2]);
for (const [, load] of named ? [named] : COMMANDS) load()(program);

// Every way out waits for stdout and stderr to drain (a pipe's reader may be slow).
program.parseAsync(process.argv).then(
  () => exitWhenFlushed(Number(process.exitCode ?? EXIT.ok)),
  (error: unknown) => {
    if (error instanceof CommanderError) {
      // Help and version exit 0; usage errors (unknown option, missing argument) are invalid input.
      return exitWhenFlushed(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
    }
    return exitWhenFlushed(reportError(error));
  },
);
