import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename } from 'node:path';
import { ValidationError } from '../domain';
import { createSshKey, findKeyByPublicKey, listSshKeys, type MithrilHttp, type MithrilSshKey } from './index';

/** The entry that asks for nothing (3.28 writes it as a placeholder). */
const AUTO_ENTRY = '_auto_';

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
}

/** A public key read from `path` (a .pub file, or a private key with its .pub beside it); undefined when it is no file. */
function publicKeyAt(entry: string): string | undefined {
  const path = expandHome(entry);
  if (!existsSync(path)) return undefined;
  const publicPath = path.endsWith('.pub') ? path : `${path}.pub`;
  if (!existsSync(publicPath)) {
    throw new ValidationError(`mithril.sshKeys: ${entry} has no public key beside it (${publicPath})`, {
      field: 'mithril.sshKeys',
      suggestions: [`Name the public key instead: ${publicPath}`, `Or make it with: ssh-keygen -y -f ${path} > ${publicPath}`],
    });
  }
  const text = readFileSync(publicPath, 'utf8').trim();
  if (!/^(ssh-|ecdsa-|sk-)/.test(text)) {
    throw new ValidationError(`mithril.sshKeys: ${publicPath} is not an OpenSSH public key`, {
      field: 'mithril.sshKeys',
      suggestions: ['A public key line starts with ssh-ed25519, ssh-rsa or ecdsa-sha2-…'],
    });
  }
  return text;
}

/**
 * The platform ids of the keys settings name (mithril.sshKeys / MITHRIL_SSH_KEYS), as 3.28 reads
 * them: a platform id (`sshkey_…`), a key file (its public half uploaded once), or a platform
 * key's name; then every key the project marks required. An entry that matches nothing is an
 * error naming it, not a key silently left out of the bid. `keys` is the project's listing.
 */
export async function settingsSshKeyIds(http: MithrilHttp, project: string, entries: readonly string[], keys?: MithrilSshKey[]): Promise<string[]> {
  const listed = keys ?? (await listSshKeys(http, project));
  const registered = async (publicKey: string, name: string) => findKeyByPublicKey(listed, publicKey)?.fid ?? (await createSshKey(http, { project, name, publicKey })).fid;
  const ids: string[] = [];
  for (const entry of entries) {
    if (entry === AUTO_ENTRY) continue;
    const publicKey = entry.startsWith('sshkey_') ? undefined : publicKeyAt(entry);
    if (publicKey !== undefined) {
      ids.push(await registered(publicKey, `flow-${basename(entry).replace(/\.pub$/, '')}`));
      continue;
    }
    const found = listed.find((key) => key.fid === entry) ?? listed.find((key) => key.name === entry);
    if (found === undefined) {
      throw new ValidationError(`mithril.sshKeys: '${entry}' is no SSH key of the project, nor a key file here`, {
        field: 'mithril.sshKeys',
        suggestions: [
          `Keys of the project: ${listed.map((key) => `${key.name} (${key.fid})`).join(', ') || 'none'}`,
          'Give a platform key id or name, or the path of a public key to upload: flow setup --ssh-key ~/.ssh/id_ed25519.pub',
        ],
      });
    }
    ids.push(found.fid);
  }
  for (const key of listed) if (key.required) ids.push(key.fid);
  return [...new Set(ids)];
}

/** The platform ids a bid lets in: the worker's own key (registered the first time), then the settings' keys. One listing serves both. */
export async function bidSshKeyIds(http: MithrilHttp, project: string, workerPublicKey: string, entries: readonly string[]): Promise<string[]> {
  const keys = await listSshKeys(http, project);
  const worker = findKeyByPublicKey(keys, workerPublicKey)?.fid ?? (await createSshKey(http, { project, name: 'flow-worker', publicKey: workerPublicKey })).fid;
  return [...new Set([worker, ...(await settingsSshKeyIds(http, project, entries, keys))])];
}
