import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { mithrilKeyPath } from '../../ssh/mithril-paths';
import { utils } from 'ssh2';

/**
 * The worker's own key for Mithril instances: made once in $FLOW_HOME/keys/mithril (0600) and
 * registered with the project, so every bid lets the worker in. The private half never leaves
 * this machine; only its public half goes to the API.
 */
export interface InstanceSshKey {
  privateKeyPath: string;
  publicKey: string;
}

export function localInstanceKey(home: string): InstanceSshKey {
  const privateKeyPath = mithrilKeyPath(home);
  const dir = dirname(privateKeyPath);
  const publicPath = `${privateKeyPath}.pub`;
  if (!existsSync(privateKeyPath) || !existsSync(publicPath)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const pair = utils.generateKeyPairSync('ed25519', { comment: 'flow-worker' });
    writeFileSync(privateKeyPath, pair.private, { mode: 0o600 });
    chmodSync(privateKeyPath, 0o600);
    writeFileSync(publicPath, `${pair.public.trim()}\n`);
  }
  return { privateKeyPath, publicKey: readFileSync(publicPath, 'utf8').trim() };
}
