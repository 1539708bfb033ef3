import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostShell } from '../../ssh/host-shell';
import { packCode, withScratchDir } from '../ssh/code-upload';
import { CODE_AWAITED_MARKER, CODE_UPLOAD_PATH } from './startup';

/**
 * A task's code on Mithril: small code rides in the startup script itself (the instance starts
 * the command without waiting for the worker); larger code is sent by the worker over SSH once
 * the instance is up, while the script waits for it.
 */
export type CodeForScript = { codeArchive: string } | { codeOverSsh: true } | Record<string, never>;

/** Archives above this (before base64) go over SSH: the script's limit is 10000 bytes in all. */
const EMBED_MAX_ARCHIVE_BYTES = 6_000;

/** How the startup script gets the code of `codeDir` (none: nothing). Tar's gzip output is the same for the same files, so every rank builds the same script. */
export async function codeForScript(codeDir: string | undefined): Promise<CodeForScript> {
  if (codeDir === undefined) return {};
  return withScratchDir(async (scratch) => {
    const archive = join(scratch, 'code.tar.gz');
    await packCode(codeDir, archive);
    const bytes = readFileSync(archive);
    return bytes.length <= EMBED_MAX_ARCHIVE_BYTES ? { codeArchive: bytes.toString('base64') } : { codeOverSsh: true };
  });
}

/** Sends the code the instance's startup script waits for; nothing when it waits for none (embedded, or already sent). */
export async function deliverAwaitedCode(shell: HostShell, codeDir: string): Promise<boolean> {
  const awaited = await shell.exec(`test -e ${CODE_AWAITED_MARKER} && test ! -e ${CODE_UPLOAD_PATH}`, { timeoutMs: 20_000 });
  if (awaited.code !== 0) return false;
  await withScratchDir(async (scratch) => {
    const archive = join(scratch, 'code.tar.gz');
    await packCode(codeDir, archive);
    // Written aside and renamed: the script starts unpacking as soon as the name appears.
    await shell.writeFile(`${CODE_UPLOAD_PATH}.part`, readFileSync(archive), 0o600);
    const moved = await shell.exec(`mv -f ${CODE_UPLOAD_PATH}.part ${CODE_UPLOAD_PATH}`, { timeoutMs: 20_000 });
    if (moved.code !== 0) throw new Error(`could not put the code in place on ${shell.label}: ${moved.stderr.toString().trim()}`);
  });
  return true;
}
