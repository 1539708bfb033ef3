import { remoteLayout, type RemoteInstanceLayout } from '../../ssh/remote-layout';

/**
 * Where the startup script leaves things on a Mithril instance. The command runs under the ssh
 * provider's supervisor in the ssh layout rooted here, so the worker reads its state, output and
 * exit code (and stops it) over SSH with src/providers/ssh/remote-state.ts unchanged.
 */
export const MITHRIL_REMOTE_DIR = '/var/lib/flow';
/** One command per instance: the instance folder always has this name. */
export const MITHRIL_INSTANCE_ID = 'workload';

/** The startup script's own log (no env values or secrets are ever written to it). */
export const STARTUP_LOG = '/var/log/flow/startup.log';
/** Touched once the command has been handed to the supervisor. */
export const STARTUP_COMPLETE_MARKER = '/var/run/flow-startup-complete';
/** `EXIT_CODE=<n|unknown>` and `EXITED_AT=<UTC>`, as flow-compute 3.28 writes it. */
export const WORKLOAD_EXIT_FILE = '/var/lib/flow/workload-exit';
/** This node's rank (one line), written before the command starts: the worker maps ranks to instances by it. */
export const NODE_RANK_FILE = '/var/lib/flow/node-rank';
/** Present while the startup script waits for the worker to send the code (too big to embed). */
export const CODE_AWAITED_MARKER = '/var/lib/flow/code-awaited';
/** Where the worker puts the code archive (written aside, then renamed here whole). */
export const CODE_UPLOAD_PATH = '/var/lib/flow/code-upload.tar.gz';
/** How long the script waits for the code before it gives up. */
export const CODE_WAIT_SECONDS = 1800;
/** The working dir when the task names none. */
export const DEFAULT_WORKING_DIR = '/workspace';

export function mithrilLayout(): RemoteInstanceLayout {
  return remoteLayout(MITHRIL_INSTANCE_ID, MITHRIL_REMOTE_DIR);
}

/** The 0600 file holding the command's env and secrets (inside the instance folder, so cleanup removes it). */
export function envFilePath(layout: RemoteInstanceLayout = mithrilLayout()): string {
  return `${layout.instanceDir}/env`;
}
