/**
 * providerOperation: one provider call the client asked for, run here in the worker where the
 * provider's credentials and connections live (see domain/provider-operations). Its result goes
 * into workflow history: it never holds a credential, and a local shell target carries the
 * supervisor's pid instead of the task's env. Bounded exec output (ExecOptions.maxOutputBytes) is
 * acceptable there: the payload codec encrypts history payloads when one is configured.
 */
import {
  FlowError,
  ProviderError,
  ValidationError,
  ProviderOperationRequestSchema,
  volumeNotFoundError,
  type ProviderName,
  type ProviderOperationRequest,
  type ProviderOperationResult,
  type ProviderSettings,
  type VolumeCreateSpec,
} from '../domain';
import { matchingOffers } from '../providers/offer-choice';
import { EXEC_OUTPUT_LIMIT, type ExecOptions, type Provider } from '../providers/provider';
import { checkContainerRuntime, checkVolumesEncryption, checkVolumesExist, localHostChecks, withEncryptionDefault } from '../providers/local/preflight-checks';

export interface ProviderOperationDeps {
  providers: { get(name: ProviderName, settings?: ProviderSettings): Provider };
  /** The worker's FLOW_HOME: where the local provider keeps volumes and instances. */
  home: string;
  /** The leak reaper (op gc). */
  reap?: (options: { graceMs: number; dryRun: boolean }) => Promise<ProviderOperationResult<'gc'>>;
}

/** The request, checked: a malformed one is a ValidationError naming the field. */
function parseRequest(raw: unknown): ProviderOperationRequest {
  const result = ProviderOperationRequestSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') || 'op';
  throw new ValidationError(`provider operation: ${field}: ${issue?.message ?? 'invalid request'}`, { field });
}

function requireCapability(provider: Provider, what: 'exec' | 'shell' | 'ports' | 'volumes'): void {
  if (provider.capabilities[what]) return;
  const label = { exec: 'running a command on a node', shell: 'flow ssh (a shell)', ports: 'reaching a task port', volumes: 'volumes' }[what];
  throw new ProviderError(`${label} is not supported by provider ${provider.name}`, { retryable: false });
}

/**
 * Most bytes of each of exec's stdout and stderr that go into history: Temporal refuses payloads
 * over 2 MB, and JSON may escape some bytes into several. Beyond it the result says `truncated`.
 */
export const HISTORY_EXEC_OUTPUT_LIMIT = 256 * 1024;

function execOptions(options: NonNullable<Extract<ProviderOperationRequest, { op: 'exec' }>['options']>): ExecOptions {
  const { inputBase64, input, maxOutputBytes, ...rest } = options;
  return {
    ...rest,
    maxOutputBytes: Math.min(maxOutputBytes ?? EXEC_OUTPUT_LIMIT, HISTORY_EXEC_OUTPUT_LIMIT),
    ...(inputBase64 !== undefined ? { input: Buffer.from(inputBase64, 'base64') } : input !== undefined ? { input } : {}),
  };
}

/** Runs one provider operation and returns its (history-safe) result. */
export function createProviderOperation({ providers, home, reap }: ProviderOperationDeps) {
  async function run(request: ProviderOperationRequest): Promise<ProviderOperationResult> {
    switch (request.op) {
      case 'offers': {
        const provider = providers.get(request.provider, request.providerSettings);
        const [offers, defaultInstanceType] = await Promise.all([provider.listOffers(), provider.defaultInstanceType()]);
        return { offers, defaultInstanceType, capabilities: provider.capabilities };
      }
      case 'listVolumes': {
        const provider = providers.get(request.provider);
        requireCapability(provider, 'volumes');
        return provider.listVolumes();
      }
      case 'getVolume': {
        const provider = providers.get(request.provider);
        requireCapability(provider, 'volumes');
        const volumes = await provider.listVolumes();
        const volume = volumes.find((v) => v.name === request.name);
        if (volume === undefined) throw volumeNotFoundError(request.name, volumes.map((v) => v.name));
        return volume;
      }
      case 'createVolume': {
        const provider = providers.get(request.provider);
        requireCapability(provider, 'volumes');
        return provider.createVolume(request.spec as unknown as VolumeCreateSpec);
      }
      case 'deleteVolume': {
        const provider = providers.get(request.provider);
        requireCapability(provider, 'volumes');
        await provider.deleteVolume(request.name, { force: request.force });
        return { deleted: true };
      }
      case 'exec': {
        const provider = providers.get(request.instance.provider);
        requireCapability(provider, 'exec');
        return provider.exec(request.instance, request.command, execOptions(request.options ?? {}));
      }
      case 'shellTarget': {
        const provider = providers.get(request.instance.provider);
        requireCapability(provider, request.command === undefined ? 'shell' : 'exec');
        const target = await provider.shellTarget(request.instance, { command: request.command, shell: request.shell });
        if (target.kind === 'ssh') return target;
        // Never the env: it holds the task's secrets. The caller (this machine, for local) reads it from the pid.
        if (target.pid === undefined) throw new ProviderError(`Provider ${provider.name} gave a local shell without the process to take its env from`, { retryable: false });
        return { kind: 'local', argv: target.argv, cwd: target.cwd, pid: target.pid };
      }
      case 'portTarget': {
        const provider = providers.get(request.instance.provider);
        requireCapability(provider, 'ports');
        return provider.portTarget(request.instance, request.port);
      }
      case 'preflight':
        return preflight(request);
      case 'gc':
        if (reap === undefined) throw new ProviderError('flow gc is not available in this worker', { retryable: false });
        return reap({ graceMs: request.graceMs, dryRun: request.dryRun });
      case 'hostChecks':
        if (request.provider !== 'local') throw new ProviderError(`Host checks are not available for provider ${request.provider} yet`, { retryable: false });
        return localHostChecks();
    }
  }

  /** The provider-side half of the client's preflight; errors say "nothing was submitted". */
  async function preflight(request: Extract<ProviderOperationRequest, { op: 'preflight' }>): Promise<ProviderOperationResult<'preflight'>> {
    const { label } = request;
    let volumes = request.volumes;
    if (request.provider === 'local') {
      volumes = withEncryptionDefault(home, volumes, request.encryptByDefault);
      checkVolumesExist(home, volumes, label);
      checkVolumesEncryption(home, volumes, label);
      if (request.image !== undefined) checkContainerRuntime(providers.get('local', request.providerSettings), label);
    }
    try {
      await matchingOffers(providers.get(request.provider, request.providerSettings), request.offer);
    } catch (error) {
      if (!(error instanceof FlowError) || error.code !== 'NOT_FOUND') throw error;
      const field = request.offer.minGpuMemoryGb !== undefined ? 'minGpuMemoryGb' : 'instanceType';
      throw new ValidationError(`${label}${field}: ${error.message}; nothing was submitted`, { field, suggestions: [...error.suggestions, 'See every offer with: flow instances'] });
    }
    return { volumes };
  }

  return async (raw: unknown): Promise<ProviderOperationResult> => run(parseRequest(raw));
}
