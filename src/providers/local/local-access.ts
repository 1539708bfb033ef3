import { checkPortNumber } from '../../domain/port-number';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ProviderError, ValidationError } from '../../domain';
import type { InstanceRef } from '../../domain';
import type { ExecOptions, ExecResult, PortTarget, ShellSpec, ShellTarget } from '../provider';
import { hostPathOf, readExecTarget, readProcessEnv, type ExecTarget } from './exec-target';
import type { LocalInstancePaths } from './instance-files';
import { runBounded } from './local-exec';
import { commandShell } from './supervisor';

/** Where a running local node is reached: this machine. */
const LOCAL_HOST = '127.0.0.1';

interface RunningNode {
  /** The supervisor's pid: the task's env is its environment. */
  pid: number;
  target: ExecTarget;
  /** The task's env and secrets, as its command got them (never logged). */
  env: Record<string, string>;
}

/**
 * exec, files, shell and ports on a running local instance: commands run beside the task's own,
 * in its working dir, with its env and secrets, and inside the same kind of bubblewrap sandbox so
 * its volumes are seen at their mount paths.
 */
export class LocalAccess {
  constructor(
    private readonly pathsOf: (instance: InstanceRef) => LocalInstancePaths,
    /** The supervisor's pid while the command runs; undefined otherwise. */
    private readonly runningPid: (instance: InstanceRef) => Promise<number | undefined>,
  ) {}

  async exec(instance: InstanceRef, command: string | readonly string[], options: ExecOptions): Promise<ExecResult> {
    const node = await this.running(instance);
    const env = { ...node.env, ...(options.env ?? {}) };
    const argv = this.argv(node, command, env, options.cwd, Object.keys(options.env ?? {}));
    return runBounded(argv, { cwd: node.target.hostWorkDir, env, timeoutMs: options.timeoutMs, input: options.input, maxOutputBytes: options.maxOutputBytes });
  }

  async putFile(instance: InstanceRef, localPath: string, remotePath: string): Promise<void> {
    const node = await this.running(instance);
    if (node.target.container) return this.copy(node, [localPath, `${node.target.container.name}:${resolve(node.target.workDir, remotePath)}`]);
    const destination = hostPathOf(node.target, remotePath);
    await mkdir(dirname(destination), { recursive: true });
    await copyFile(localPath, destination);
  }

  async getFile(instance: InstanceRef, remotePath: string, localPath: string): Promise<void> {
    const node = await this.running(instance);
    if (node.target.container) return this.copy(node, [`${node.target.container.name}:${resolve(node.target.workDir, remotePath)}`, localPath]);
    await copyFile(hostPathOf(node.target, remotePath), localPath);
  }

  async shellTarget(instance: InstanceRef, spec: ShellSpec): Promise<ShellTarget> {
    const node = await this.running(instance);
    // In a container the image's /bin/sh: the caller's login shell may not be in the image.
    const shell = node.target.container ? '/bin/sh' : spec.shell ?? commandShell(node.env);
    const argv = spec.command === undefined ? this.wrap(node, [shell], { tty: true }) : this.argv(node, spec.command, node.env);
    return { kind: 'local', argv, cwd: node.target.hostWorkDir, env: node.env, pid: node.pid };
  }

  async portTarget(instance: InstanceRef, port: number): Promise<PortTarget> {
    checkPortNumber(port);
    await this.running(instance);
    return { host: LOCAL_HOST, port };
  }

  /** The command as argv: a string through the task's shell; run in `cwd` when given. */
  private argv(node: RunningNode, command: string | readonly string[], env: Record<string, string>, cwd?: string, extraEnv: readonly string[] = []): string[] {
    if (typeof command !== 'string' && command.length === 0) {
      throw new ValidationError('command: give a command to run (an empty argv was given)', { field: 'command' });
    }
    const shell = node.target.container ? '/bin/sh' : commandShell(env);
    let argv = typeof command === 'string' ? [shell, '-c', command] : [...command];
    if (node.target.container) return this.wrap(node, argv, { cwd, extraEnv });
    // A cwd other than the working dir: `cd` inside (the sandbox's view), then exec the command.
    if (cwd !== undefined) argv = ['/bin/sh', '-c', 'cd "$1" && shift && exec "$@"', 'flow-exec', cwd, ...argv];
    return this.wrap(node, argv);
  }

  private wrap(node: RunningNode, argv: string[], options: { tty?: boolean; cwd?: string; extraEnv?: readonly string[] } = {}): string[] {
    const container = node.target.container;
    if (container) {
      // The container has the task's env already; extra variables go by name (values in env, not argv).
      const flags = [options.tty ? '-it' : '-i', ...(options.cwd !== undefined ? ['--workdir', resolve(node.target.workDir, options.cwd)] : [])];
      for (const name of options.extraEnv ?? []) flags.push('--env', name);
      return [container.runtime, 'exec', ...flags, container.name, ...argv];
    }
    const sandbox = node.target.sandbox;
    return sandbox ? [sandbox.bwrap, ...sandbox.args, ...argv] : argv;
  }

  /** `<runtime> cp` between this machine and the task's container. */
  private async copy(node: RunningNode, args: [string, string]): Promise<void> {
    const container = node.target.container!;
    const result = await runBounded([container.runtime, 'cp', ...args], { cwd: node.target.hostWorkDir, env: node.env, timeoutMs: 120_000 });
    if (result.exitCode !== 0) {
      throw new ProviderError(`Copying ${args[0]} to ${args[1]} failed: ${result.stderr.trim() || `exit ${result.exitCode}`}`, { retryable: false });
    }
  }

  private async running(instance: InstanceRef): Promise<RunningNode> {
    const pid = await this.runningPid(instance);
    if (pid === undefined) {
      throw new ProviderError(`The command of local instance ${instance.instanceId} is not running`, {
        retryable: false,
        suggestions: ['Commands, files and shells reach a node only while its task runs; see its state with: flow status'],
      });
    }
    const paths = this.pathsOf(instance);
    return { pid, target: readExecTarget(paths, pid), env: readProcessEnv(pid, instance.instanceId) };
  }
}
