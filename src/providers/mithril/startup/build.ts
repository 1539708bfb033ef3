import { ValidationError } from '../../../domain/errors';
import { validateSafeName } from '../../ssh/remote-layout';
import { codeSection } from './code';
import { compressedBootstrap } from './compress';
import { containerSupervisorLines } from './container';
import { environmentSection } from './environment';
import { headerSection } from './header';
import { DEFAULT_WORKING_DIR } from './layout';
import { multinodeSection } from './multinode';
import { portsSection } from './ports';
import type { StartupScript, StartupScriptInput, StartupScriptOptions } from './types';
import { volumesSection } from './volumes';
import { completionSection, workloadExitSection, workloadSection } from './workload';

/** The platform's limit on launch_specification.startup_script (facts §3). */
export const STARTUP_SCRIPT_MAX_BYTES = 10_000;
/** Inline only below the limit minus this margin; above it, compress. */
const INLINE_MARGIN_BYTES = 1_000;
const DEFAULT_VOLUME_WAIT_SECONDS = 60;
const DEFAULT_MASTER_PORT = 29500;

function checkPath(path: string, field: string): void {
  if (!path.startsWith('/') || path === '/' || /[\n\0]/.test(path) || path.split('/').includes('..')) {
    throw new ValidationError(`${field} '${path}' must be an absolute path on the instance (not '/', no '..')`, {
      field,
      suggestions: ['Use a path such as /workspace or /data'],
    });
  }
}

function checkPort(port: number, field: string, forwarded: boolean): void {
  const inRange = Number.isInteger(port) && (forwarded ? port === 80 || port === 443 || (port >= 1024 && port <= 65535) : port >= 1 && port <= 65535);
  if (!inRange) {
    throw new ValidationError(`${field} ${port} is not allowed`, {
      field,
      suggestions: [forwarded ? 'Ports 80, 443 and 1024-65535 can be opened on Mithril' : 'Use a port from 1 to 65535'],
    });
  }
}

function validate(input: StartupScriptInput): void {
  // An image name goes into the runtime's argv after its options: one starting with '-' would be read as one.
  if (input.image !== undefined && !/^[A-Za-z0-9][^\s]*$/.test(input.image)) {
    throw new ValidationError(`image '${input.image}' is not an image name`, {
      field: 'image',
      suggestions: ['Use a reference such as nvcr.io/nvidia/pytorch:24.05-py3 or ubuntu:22.04'],
    });
  }
  if (typeof input.command !== 'string' ? input.command.length === 0 : input.command.trim() === '') {
    throw new ValidationError('command is empty', { field: 'command' });
  }
  if (!Number.isInteger(input.numInstances) || input.numInstances < 1) {
    throw new ValidationError(`numInstances ${input.numInstances} must be a whole number of at least 1`, { field: 'numInstances' });
  }
  if (input.workingDir !== undefined) checkPath(input.workingDir, 'workingDir');
  if (input.codeArchive !== undefined && input.codeOverSsh) {
    throw new ValidationError('the code is either embedded or sent over SSH, not both', { field: 'codeOverSsh' });
  }
  if (input.codeArchive !== undefined && !/^[A-Za-z0-9+/=\s]*$/.test(input.codeArchive)) {
    throw new ValidationError('the embedded code archive is not base64', { field: 'codeArchive' });
  }
  for (const [index, volume] of input.volumes.entries()) {
    validateSafeName(volume.name, `volumes.${index}.name`);
    if (!/^[A-Za-z0-9_-]+$/.test(volume.id)) {
      throw new ValidationError(`volume id '${volume.id}' is not a platform volume id`, { field: `volumes.${index}.id` });
    }
    checkPath(volume.mountPath, `volumes.${index}.mountPath`);
    if (volume.interface === 'block' && input.numInstances > 1) {
      throw new ValidationError(`block volume '${volume.name}' cannot be attached to a ${input.numInstances}-node task`, {
        field: `volumes.${index}.interface`,
        suggestions: ["Use a volume with interface 'file' for multi-node tasks"],
      });
    }
  }
  for (const [index, port] of (input.ports ?? []).entries()) checkPort(port, `ports.${index}`, true);
  if (input.masterPort !== undefined) checkPort(input.masterPort, 'masterPort', false);
}

function masterPortOf(input: StartupScriptInput): string {
  if (input.masterPort !== undefined) return String(input.masterPort);
  const fromEnv = input.env.MASTER_PORT;
  return fromEnv !== undefined && /^\d{1,5}$/.test(fromEnv) ? fromEnv : String(DEFAULT_MASTER_PORT);
}

/** The whole script before any compression: sections in the order they must run, empty ones left out. */
export function renderStartupScript(input: StartupScriptInput, options: StartupScriptOptions = {}): string {
  validate(input);
  const workingDir = input.workingDir ?? DEFAULT_WORKING_DIR;
  const sections = [
    headerSection(input.taskId),
    environmentSection(input),
    volumesSection(input.volumes, options.volumeWaitSeconds ?? DEFAULT_VOLUME_WAIT_SECONDS),
    // The rank is written before the code is awaited: the worker finds the node by it to send the code.
    multinodeSection(input.numInstances, masterPortOf(input)),
    portsSection(input.ports ?? []),
    codeSection(workingDir, input.codeArchive !== undefined ? { embedded: input.codeArchive } : input.codeOverSsh ? { overSsh: true } : undefined),
    workloadSection(input.command, workingDir, input.image !== undefined ? containerSupervisorLines({ ...input, image: input.image }, workingDir) : undefined),
    completionSection(),
    workloadExitSection(),
  ];
  return `${sections.filter((s) => s !== '').join('\n\n')}\n`;
}

/**
 * The startup script for a Mithril bid: inline when it is comfortably under the limit, else the
 * compressed bootstrap with a checksum; a ValidationError when even that is too big.
 */
export function buildStartupScript(input: StartupScriptInput, options: StartupScriptOptions = {}): StartupScript {
  const maxBytes = options.maxBytes ?? STARTUP_SCRIPT_MAX_BYTES;
  const script = renderStartupScript(input, options);
  const rawBytes = Buffer.byteLength(script, 'utf8');
  if (rawBytes < maxBytes - INLINE_MARGIN_BYTES) return { script, strategy: 'inline', rawBytes, bytes: rawBytes };
  const originLine = script.split('\n')[1] ?? '# FLOW_ORIGIN: flow-sdk';
  const bootstrap = compressedBootstrap(script, originLine);
  const bytes = Buffer.byteLength(bootstrap, 'utf8');
  if (bytes <= maxBytes) return { script: bootstrap, strategy: 'compressed', rawBytes, bytes };
  throw new ValidationError(
    `The Mithril startup script is too large: ${bytes} bytes compressed (${rawBytes} bytes before compression), over the ${maxBytes}-byte limit`,
    {
      field: 'startupScript',
      suggestions: [
        'Upload the code instead of embedding it (upload it over SSH after the instance starts)',
        'Make the embedded code smaller (a .flowignore can leave out data, checkpoints and build output)',
        'Move large env values into a file that travels with the code or a volume',
      ],
    },
  );
}
