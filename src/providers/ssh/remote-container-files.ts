import { randomBytes } from 'node:crypto';
import type { HostShell } from '../../ssh/host-shell';
import { fileApiPath, remoteLayout, shellPath, shellQuote } from './remote-layout';
import { runScript, scriptFailed } from './remote-shell';

/**
 * File copies for a task that runs in a container on its host: the file goes through a temporary
 * file in the instance's folder and `<runtime> cp`, so it lands in (or comes from) the container,
 * never the host's path of the same name. A host task has no container record (undefined).
 */
export interface RemoteContainerRecord {
  runtime: string;
  name: string;
}

/** The container record launchRemote wrote (runtime CLI, container name), if the task runs in one. */
export async function remoteContainerRecord(shell: HostShell, instanceId: string, remoteDir?: string): Promise<RemoteContainerRecord | undefined> {
  const layout = remoteLayout(instanceId, remoteDir);
  const text = (await shell.readFile(fileApiPath(`${layout.instanceDir}/container`), 0, 64 * 1024)).toString('utf8');
  const [runtime = '', name = ''] = text.split('\n');
  return runtime !== '' && name !== '' ? { runtime, name } : undefined;
}

async function runtimeCp(shell: HostShell, instanceId: string, script: string, what: string): Promise<void> {
  const result = await runScript(shell, script, what, { timeoutMs: 180_000 });
  if (result.code !== 0) throw scriptFailed(shell, what, result);
}

function tempPath(instanceId: string, remoteDir?: string): string {
  return `${remoteLayout(instanceId, remoteDir).instanceDir}/cp-${randomBytes(6).toString('hex')}`;
}

/** Copies a local file to `path` (absolute, in the container). */
export async function putContainerFile(shell: HostShell, instanceId: string, container: RemoteContainerRecord, localPath: string, path: string, remoteDir?: string): Promise<void> {
  const temp = tempPath(instanceId, remoteDir);
  await shell.putFile(localPath, fileApiPath(temp));
  const copy = `${shellQuote(container.runtime)} cp ${shellPath(temp)} ${shellQuote(`${container.name}:${path}`)}`;
  await runtimeCp(shell, instanceId, `${copy}; _flow_c=$?; rm -f ${shellPath(temp)}; exit $_flow_c`, `copy a file into the container of task ${instanceId}`);
}

/** Copies `path` (absolute, in the container) to a local file. */
export async function getContainerFile(shell: HostShell, instanceId: string, container: RemoteContainerRecord, path: string, localPath: string, remoteDir?: string): Promise<void> {
  const temp = tempPath(instanceId, remoteDir);
  const copy = `${shellQuote(container.runtime)} cp ${shellQuote(`${container.name}:${path}`)} ${shellPath(temp)}`;
  try {
    await runtimeCp(shell, instanceId, copy, `copy a file out of the container of task ${instanceId}`);
    await shell.getFile(fileApiPath(temp), localPath);
  } finally {
    await runScript(shell, `rm -f ${shellPath(temp)}`, 'remove a temporary copy').catch(() => undefined);
  }
}
