import type { Command } from 'commander';
import { ValidationError } from '../../domain/errors';
import { action } from '../exit-codes';

interface CodecServerFlags {
  port: string;
  host: string;
  uiOrigin: string;
  namespace?: string;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ValidationError(`--port must be a port number 0-65535, not ${JSON.stringify(text)}`, { field: 'port', suggestions: ['flow codec-server --port 8888'] });
  }
  return port;
}

function parseOrigin(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValidationError(`--ui-origin must be an origin such as http://localhost:8233, not ${JSON.stringify(text)}`, { field: 'ui-origin' });
  }
  if (!/^https?:$/.test(url.protocol)) throw new ValidationError('--ui-origin must be an http(s) origin', { field: 'ui-origin' });
  return url.origin;
}

export function configureCodecServerCommand(program: Command): void {
  program
    .command('codec-server')
    .description("Serve Temporal's codec endpoints (POST /encode, /decode) so the Temporal UI shows Flow's encrypted payloads")
    .option('--port <port>', 'port to listen on (0: any free port)', '8888')
    .option('--host <host>', 'address to listen on (0.0.0.0 exposes it to the network: anyone who reaches it reads payloads)', '127.0.0.1')
    .option('--ui-origin <origin>', "the Temporal UI's origin: the only one answered with CORS headers", 'http://localhost:8233')
    .option('--namespace <namespace>', 'only serve requests whose X-Namespace header names this namespace')
    .addHelpText('after', `
The key is Flow's own: FLOW_ENCRYPTION_KEY, FLOW_ENCRYPTION_KEY_FILE, encryptionKey in config.yaml,
or the embedded daemon's key file in $FLOW_HOME. Point the UI at it: Settings > Codec Server >
http://localhost:8888 (or TEMPORAL_CODEC_ENDPOINT for a self-hosted UI).

Examples:
  flow codec-server                                   # for \`flow daemon start --ui\` on this machine
  flow codec-server --ui-origin https://cloud.temporal.io --namespace prod.abc12`)
    .action(action(async (flags: CodecServerFlags) => {
      const port = parsePort(flags.port);
      const uiOrigin = parseOrigin(flags.uiOrigin);
      const [{ loadSettings }, { codecServerKeys }, { AesGcmPayloadCodec }, { startCodecServer }] = await Promise.all([
        import('../../config/load-config'),
        import('../../security/encryption-keys'),
        import('../../security/payload-codec'),
        import('../../security/codec-http'),
      ]);
      const settings = loadSettings();
      const codec = new AesGcmPayloadCodec(codecServerKeys(settings.home, settings.encryptionKey));
      const running = await startCodecServer({ codec, host: flags.host, port, uiOrigin, ...(flags.namespace ? { namespace: flags.namespace } : {}) });
      process.stderr.write(`Flow codec server listening on ${running.url} (CORS for ${uiOrigin}${flags.namespace ? `, namespace ${flags.namespace}` : ''})\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void running.close().then(resolve);
        process.once('SIGINT', stop);
      });
    }));
}
