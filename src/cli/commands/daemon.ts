import type { Command } from 'commander';
import { flowPaths } from '../../config/flow-home';
import { ValidationError } from '../../domain/errors';
import { EXIT, action } from '../exit-codes';
import { colors, printJson } from '../output';

export function configureDaemonCommand(program: Command): void {
  const daemon = program
    .command('daemon')
    .description('The embedded Temporal server + worker that runs tasks on this machine')
    .addHelpText('after', `
Examples:
  flow daemon status             # pids, Temporal address, whether the web UI is on
  flow daemon start --ui         # also serve the Temporal Web UI (any local user can open it)
  flow daemon stop               # running tasks resume on the next start
  FLOW_HOME=/tmp/other flow daemon start   # a second, independent daemon
  flow daemon stop && flow daemon rotate-key   # a new payload key; old ones still decrypt`);
  daemon
    .command('start')
    .description('Start the daemon (flow commands also start it on first use)')
    .option('--ui', 'also serve the Temporal Web UI on 127.0.0.1 (no login: anyone on this machine can open it)')
    .option('--json', 'print machine-readable output')
    .action(action(async (flags: { json?: boolean; ui?: boolean }) => {
      const { loadSettings, ensureDaemon } = await daemonModules();
      const { home, temporalBin } = loadSettings();
      const env = flags.ui ? { ...process.env, FLOW_DAEMON_UI: '1' } : process.env;
      const state = await ensureDaemon(home, { temporalBin, env, onProgress: (message) => !flags.json && process.stderr.write(`${message}\n`) });
      if (flags.json) return printJson({ health: 'running', ...state, ui: state.ui === true });
      process.stdout.write(`Flow daemon running: Temporal ${state.address}, UI ${uiLine(state)}\n`);
      if (flags.ui && !state.ui) {
        process.stderr.write('The daemon was already running without the Web UI; restart it with: flow daemon stop && flow daemon start --ui\n');
      } else if (state.ui) {
        process.stderr.write('Note: anyone on this machine can open the Web UI (it has no login); task payloads there stay encrypted without the key.\n');
      }
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
    .command('rotate-key')
    .description('Add a new payload encryption key (the newest encrypts, older ones still decrypt); the daemon must be stopped')
    .action(action(async () => {
      const { loadSettings, daemonStatus } = await daemonModules();
      const settings = loadSettings();
      if (settings.encryptionKey) {
        throw new ValidationError('The key comes from FLOW_ENCRYPTION_KEY (or encryptionKey in config.yaml): rotate it there', {
          field: 'encryptionKey',
          suggestions: ['Set a new id:base64 key; keep the old one available until old tasks are no longer read'],
        });
      }
      if (daemonStatus(settings.home).health !== 'stopped') {
        throw new ValidationError('The daemon is running with the current keys loaded', { suggestions: ['Stop it first: flow daemon stop && flow daemon rotate-key'] });
      }
      const { rotateKey, encryptionKeysPath } = await import('../../security/encryption-keys');
      const id = rotateKey(settings.home);
      process.stdout.write(`New encryption key ${id} in ${encryptionKeysPath(settings.home)}; older keys still decrypt\n`);
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
        printJson({ health, home, ...(state ?? {}), ...(state ? { ui: state.ui === true } : {}) });
        return code;
      }
      const c = colors(process.stdout);
      const paint = health === 'running' ? c.green : health === 'starting' ? c.yellow : c.gray;
      process.stdout.write(`${paint(health)}  FLOW_HOME=${home}\n`);
      if (state && health !== 'stopped') {
        process.stdout.write(`  temporal  ${state.address} (pid ${state.serverPid ?? '-'})\n  ui        ${uiLine(state)}\n  worker    pid ${state.workerPid ?? '-'}\n  logs      ${flowPaths(home).daemonDir}\n`);
      }
      return code;
    }));
}

function uiLine(state: { ui?: boolean; uiPort: number }): string {
  return state.ui ? `http://127.0.0.1:${state.uiPort}` : 'off (flow daemon start --ui)';
}

/** Loaded only when a daemon command runs, so `flow --help` stays fast. */
async function daemonModules() {
  const [{ loadSettings }, control] = await Promise.all([import('../../config/load-config'), import('../../daemon/daemon-control')]);
  return { loadSettings, ...control };
}
