import type { Command } from 'commander';
import { flowPaths } from '../../config/flow-home';
import { EXIT, action } from '../exit-codes';
import { colors, printJson } from '../output';

export function configureDaemonCommand(program: Command): void {
  const daemon = program
    .command('daemon')
    .description('The embedded Temporal server + worker that runs tasks on this machine')
    .addHelpText('after', `
Examples:
  flow daemon status             # pids, Temporal address, web UI URL
  flow daemon stop               # running tasks resume on the next start
  FLOW_HOME=/tmp/other flow daemon start   # a second, independent daemon`);
  daemon
    .command('start')
    .description('Start the daemon (flow commands also start it on first use)')
    .option('--json', 'print machine-readable output')
    .action(action(async (flags: { json?: boolean }) => {
      const { loadSettings, ensureDaemon } = await daemonModules();
      const { home, temporalBin } = loadSettings();
      const state = await ensureDaemon(home, { temporalBin, onProgress: (message) => !flags.json && process.stderr.write(`${message}\n`) });
      if (flags.json) return printJson({ health: 'running', ...state });
      process.stdout.write(`Flow daemon running: Temporal ${state.address}, UI http://127.0.0.1:${state.uiPort}\n`);
    }));
  daemon
    .command('stop')
    .description('Stop worker and server; running task commands keep running and are picked up on the next start')
    .action(action(async () => {
      const { loadSettings, stopDaemon } = await daemonModules();
      const stopped = await stopDaemon(loadSettings().home);
      process.stdout.write(stopped ? 'Flow daemon stopped\n' : 'Flow daemon was not running\n');
    }));
  daemon
    .command('status')
    .description('Is the daemon running, and where (exit 0 when running, else 1)')
    .option('--json', 'print machine-readable output')
    .action(action(async (flags: { json?: boolean }) => {
      const { loadSettings, daemonStatus } = await daemonModules();
      const home = loadSettings().home;
      const { health, state } = daemonStatus(home);
      // Scripts can test it: `flow daemon status >/dev/null || flow daemon start`.
      const code = health === 'running' ? EXIT.ok : EXIT.failure;
      if (flags.json) {
        printJson({ health, home, ...(state ?? {}) });
        return code;
      }
      const c = colors(process.stdout);
      const paint = health === 'running' ? c.green : health === 'starting' ? c.yellow : c.gray;
      process.stdout.write(`${paint(health)}  FLOW_HOME=${home}\n`);
      if (state && health !== 'stopped') {
        process.stdout.write(`  temporal  ${state.address} (pid ${state.serverPid ?? '-'})\n  ui        http://127.0.0.1:${state.uiPort}\n  worker    pid ${state.workerPid ?? '-'}\n  logs      ${flowPaths(home).daemonDir}\n`);
      }
      return code;
    }));
}

/** Loaded only when a daemon command runs, so `flow --help` stays fast. */
async function daemonModules() {
  const [{ loadSettings }, control] = await Promise.all([import('../../config/load-config'), import('../../daemon/daemon-control')]);
  return { loadSettings, ...control };
}
