import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { invalid, json, validate } from '../http';
import { nowIso, type SshKey } from '../model';
import { paginate } from '../paging';
import { keygen, publicKeyBlob } from '../../sshd-lab/sshd';
import { sshKeyView } from '../views';
import { checkBodyProject, requireProject, type RequestContext, type Route } from './context';

const createKey = z.object({
  name: z.string().min(1).max(128),
  project: z.string().min(1),
  public_key: z.string().optional(),
  required: z.boolean().optional(),
});

/** A fresh ed25519 pair from ssh-keygen (the format clients and sshd read); nothing stays on disk. */
function generatePair(core: RequestContext['core'], name: string): { publicKey: string; privateKey: string } {
  const dir = mkdtempSync(join(core.stateDir, 'keygen-'));
  try {
    keygen(join(dir, 'key'), name);
    return {
      publicKey: readFileSync(join(dir, 'key.pub'), 'utf8').trim(),
      privateKey: readFileSync(join(dir, 'key'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function create(ctx: RequestContext) {
  const body = validate(createKey, await ctx.body(), 'body');
  checkBodyProject(ctx, body.project);
  let privateKey: string | undefined;
  let publicKey = body.public_key?.trim();
  if (publicKey !== undefined) {
    try {
      if (!/^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp\d+) /.test(publicKey)) throw new Error('unknown type');
      publicKeyBlob(publicKey);
    } catch {
      throw invalid(['body', 'public_key'], 'not an OpenSSH public key line ("ssh-ed25519 AAAA...")');
    }
  } else {
    const pair = generatePair(ctx.core, body.name);
    publicKey = pair.publicKey;
    privateKey = pair.privateKey;
  }
  const key: SshKey = {
    fid: ctx.core.newId('sshkey'),
    name: body.name,
    project: body.project,
    publicKey,
    required: body.required ?? false,
    createdAt: nowIso(),
    seq: ctx.core.nextSeq(),
  };
  ctx.core.sshKeys.set(key.fid, key);
  return json({ ...sshKeyView(key), ...(privateKey ? { private_key: privateKey } : {}) }, 201);
}

function list(ctx: RequestContext) {
  const project = requireProject(ctx);
  const rows = [...ctx.core.sshKeys.values()].filter((k) => k.project === project);
  return json(paginate(rows, ctx.query, sshKeyView));
}

export const sshKeyRoutes: Route[] = [
  { method: 'POST', pattern: /^\/v2\/ssh-keys$/, handler: create },
  { method: 'GET', pattern: /^\/v2\/ssh-keys$/, handler: list },
];
