import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { ValidationError } from '../domain/errors';
import type { FleetHost } from './fleet-host';
import { hostLabel } from './host-label';
import { keyFileError } from './ssh-errors';

/** How Flow logs in to a host: a private key read from a file, and/or the user's SSH agent. */
export interface SshIdentity {
  privateKey?: Buffer;
  agent?: string;
  /** For messages: "the key ~/.ssh/id_ed25519" or "the SSH agent"; never key material. */
  description: string;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_rsa', 'id_ecdsa'];

export function expandHome(path: string, home = homedir()): string {
  return path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

function readKey(host: FleetHost, path: string): Buffer {
  let key: Buffer;
  try {
    key = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw keyFileError(host, path, code === 'ENOENT' ? 'the file does not exist' : code === 'EACCES' ? 'permission denied' : String((error as Error).message));
  }
  const parsed = utils.parseKey(key);
  if (parsed instanceof Error) {
    const encrypted = /passphrase|encrypted/i.test(parsed.message);
    throw keyFileError(host, path, encrypted ? 'the key is protected by a passphrase (load it into ssh-agent and leave --identity-file unset)' : 'not a private key Flow can read');
  }
  return key;
}

/** host.identityFile, else the first of ~/.ssh/id_ed25519, id_rsa, id_ecdsa, else SSH_AUTH_SOCK's agent. */
export function resolveIdentity(host: FleetHost, env: NodeJS.ProcessEnv = process.env, home = homedir()): SshIdentity {
  const agent = env.SSH_AUTH_SOCK?.trim() || undefined;
  if (host.identityFile) {
    const path = expandHome(host.identityFile, home);
    return { privateKey: readKey(host, path), agent, description: `the key ${host.identityFile}` };
  }
  for (const name of DEFAULT_KEYS) {
    const path = join(home, '.ssh', name);
    let exists = true;
    try {
      readFileSync(path);
    } catch {
      exists = false;
    }
    if (exists) return { privateKey: readKey(host, path), agent, description: `the key ~/.ssh/${name}` };
  }
  if (agent) return { agent, description: 'the SSH agent (SSH_AUTH_SOCK)' };
  throw new ValidationError(`No SSH key for host ${hostLabel(host)}: no identity_file is set, ~/.ssh has no id_ed25519, id_rsa or id_ecdsa, and no SSH agent runs`, {
    field: `ssh.hosts.${host.name}.identity_file`,
    suggestions: [`Name a key: flow fleet add ${host.name} ${host.user}@${host.host}:${host.port} --identity-file PATH`, 'Or create one: ssh-keygen -t ed25519'],
  });
}
