import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
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

/** How long a caller that lost the race to make the key waits for the winner's public half. */
const PUBLIC_KEY_WAIT_MS = 5_000;

export function localInstanceKey(home: string): InstanceSshKey {
  const privateKeyPath = mithrilKeyPath(home);
  const publicPath = `${privateKeyPath}.pub`;
  if (!existsSync(privateKeyPath) || !existsSync(publicPath)) makeKeyOnce(privateKeyPath, publicPath);
  return { privateKeyPath, publicKey: readFileSync(publicPath, 'utf8').trim() };
}

/**
 * Makes the pair unless another caller (an activity beside this one, `flow ssh` on the same home)
 * made it first. Both halves are written whole under temporary names; the private one takes its
 * name by link(2), which only one caller can win, so nobody reads half a key or a private key
 * whose public half was registered by someone else.
 */
function makeKeyOnce(privateKeyPath: string, publicPath: string): void {
  mkdirSync(dirname(privateKeyPath), { recursive: true, mode: 0o700 });
  const suffix = `.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const privateTemp = `${privateKeyPath}${suffix}`;
  const publicTemp = `${publicPath}${suffix}`;
  const pair = utils.generateKeyPairSync('ed25519', { comment: 'flow-worker' });
  try {
    writeFileSync(privateTemp, pair.private, { mode: 0o600 });
    chmodSync(privateTemp, 0o600);
    writeFileSync(publicTemp, `${pair.public.trim()}\n`);
    try {
      linkSync(privateTemp, privateKeyPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      awaitPublicHalf(privateKeyPath, publicPath);
      return;
    }
    renameSync(publicTemp, publicPath);
  } finally {
    rmSync(privateTemp, { force: true });
    rmSync(publicTemp, { force: true });
  }
}

/**
 * The private half exists (another caller won): its public half follows at once. One that never
 * comes (a caller died in between) is derived from the private half.
 */
function awaitPublicHalf(privateKeyPath: string, publicPath: string): void {
  const deadline = Date.now() + PUBLIC_KEY_WAIT_MS;
  while (!existsSync(publicPath)) {
    if (Date.now() > deadline) {
      const parsed = utils.parseKey(readFileSync(privateKeyPath));
      if (parsed instanceof Error) throw new Error(`${privateKeyPath} is not a key Flow can read (${parsed.message}); remove it and its .pub to make a new pair`);
      const key = Array.isArray(parsed) ? parsed[0]! : parsed;
      const temp = `${publicPath}.${process.pid}.derived.tmp`;
      writeFileSync(temp, `${key.type} ${key.getPublicSSH().toString('base64')} flow-worker\n`);
      renameSync(temp, publicPath);
      return;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}
