import { ProviderError, type InstanceRef, type NodeSpec } from '../../domain';

/**
 * An ssh instance id names the run and the host: `<task>-r<rank>-a<attempt>[-<runKey>]@<host>`.
 * Task ids never hold '@', so the host is always the part after the last one; the part before it
 * is the instance's folder on the host.
 */
export function sshInstanceId(spec: NodeSpec, host: string): string {
  const run = spec.runKey === undefined ? '' : `-${spec.runKey}`;
  return `${spec.taskId}-r${spec.rank}-a${spec.attempt}${run}@${host}`;
}

export interface SshInstanceName {
  /** The instance's folder name on the host. */
  folder: string;
  /** The fleet host's name. */
  host: string;
}

export function parseSshInstanceId(instance: Pick<InstanceRef, 'instanceId'>): SshInstanceName {
  const at = instance.instanceId.lastIndexOf('@');
  if (at <= 0 || at === instance.instanceId.length - 1) {
    throw new ProviderError(`'${instance.instanceId}' is not an ssh instance id (<task>-r<rank>-a<attempt>@<host>)`, { retryable: false });
  }
  return { folder: instance.instanceId.slice(0, at), host: instance.instanceId.slice(at + 1) };
}
