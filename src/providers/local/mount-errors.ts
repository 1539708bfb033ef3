import { dirname, join } from 'node:path';
import { ProviderError } from '../../domain';

/** The fields of a volume mount that errors name. */
interface NamedMount {
  name: string;
  mountPath: string;
}

const INSTALL_BUBBLEWRAP = 'Install bubblewrap (e.g. apt install bubblewrap) so Flow can mount volumes without touching host paths';

/** Why a volume cannot be shown at its mount path, with the ways out. */
export function mountPathError(mount: NamedMount, problem: string, cause?: unknown): ProviderError {
  return new ProviderError(`Cannot show volume '${mount.name}' at ${mount.mountPath}: ${problem}`, {
    retryable: false,
    cause,
    suggestions: [
      INSTALL_BUBBLEWRAP,
      `Or give the volume a free mountPath, e.g. mountPath: ${join(dirname(mount.mountPath), `${mount.name}-flow`)}`,
      `Or create the parent folder yourself: sudo mkdir -p ${dirname(mount.mountPath)} && sudo chown $(id -u) ${dirname(mount.mountPath)}`,
    ],
  });
}
