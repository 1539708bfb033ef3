import { Command, CommanderError } from 'commander';
import { configureCancelCommand } from './commands/cancel';
import { configureCodecServerCommand } from './commands/codec-server';
import { configureConfigCommand } from './commands/config';
import { configureDaemonCommand } from './commands/daemon';
import { configureDoctorCommand } from './commands/doctor';
import { configureExampleCommand } from './commands/example';
import { configureFleetCommand } from './commands/fleet';
import { configureGcCommand } from './commands/gc';
import { configureInitCommand } from './commands/init';
import { configureInstancesCommand } from './commands/instances';
import { configureLogsCommand } from './commands/logs';
import { configurePortForwardCommand } from './commands/port-forward';
import { configureRunCommand } from './commands/run';
import { configureSetupCommand } from './commands/setup';
import { configureSetupClusterCommand } from './commands/setup-cluster';
import { configureSshCommand } from './commands/ssh';
import { configureStatusCommand } from './commands/status';
import { configureVolumesCommand } from './commands/volumes';
import { configureWorkerCommand } from './commands/worker';
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

configureSetupCommand(program);
configureInitCommand(program);
configureExampleCommand(program);
configureRunCommand(program);
configureStatusCommand(program);
configureLogsCommand(program);
configureCancelCommand(program);
configureVolumesCommand(program);
configureInstancesCommand(program);
configureFleetCommand(program);
configureSshCommand(program);
configurePortForwardCommand(program);
configureConfigCommand(program);
configureDoctorCommand(program);
configureGcCommand(program);
configureDaemonCommand(program);
configureWorkerCommand(program);
configureSetupClusterCommand(program);
configureCodecServerCommand(program);

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
