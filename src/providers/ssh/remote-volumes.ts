import type { HostShell } from '../../ssh/host-shell';
import { normalizeRemoteDir, shellPath, shellQuote, validateSafeName } from './remote-layout';
import { CURRENT_PGID_FN, GROUP_ALIVE_FN, runScript, scriptFailed } from './remote-shell';

/**
 * Volumes on one fleet host: folders under <remoteDir>/volumes (the ones tasks mount, see
 * remote-launch.ts), each with an optional one-line record <remoteDir>/volume-meta/<name>
 * (`size_gb=10 interface=file created_at=ISO`) written by `flow volumes create`.
 */
export interface HostVolume {
  name: string;
  /** The folder as a path on the host ("$HOME/..." kept unexpanded). */
  path: string;
  sizeGb?: number;
  interface?: 'block' | 'file';
  createdAt: string;
  usedBytes: number;
  /** Instance folders (<task>-r<rank>-a<attempt>...) of running commands that mount it. */
  usedBy: string[];
}

export interface HostVolumeRecord {
  sizeGb: number;
  interface?: 'block' | 'file';
  createdAt: string;
}

const VOLUME_NAME = /^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/;

/** Prints `v NAME BYTES MTIME META...` per volume and `u NAME INSTANCE` per running user. */
function inventoryScript(root: string): string {
  return `_flow_r=${shellPath(root)}
${CURRENT_PGID_FN}
${GROUP_ALIVE_FN}
[ -d "$_flow_r/volumes" ] || exit 0
for _flow_v in "$_flow_r"/volumes/*; do
  [ -d "$_flow_v" ] && [ ! -L "$_flow_v" ] || continue
  _flow_n=\${_flow_v##*/}
  _flow_b=$(du -sb "$_flow_v" 2>/dev/null | cut -f1)
  if [ -z "$_flow_b" ]; then _flow_k=$(du -sk "$_flow_v" 2>/dev/null | cut -f1); _flow_b=$((\${_flow_k:-0} * 1024)); fi
  _flow_t=$(stat -c %Y "$_flow_v" 2>/dev/null || echo 0)
  _flow_m=
  [ -f "$_flow_r/volume-meta/$_flow_n" ] && read -r _flow_m < "$_flow_r/volume-meta/$_flow_n"
  printf 'v %s %s %s %s\\n' "$_flow_n" "\${_flow_b:-0}" "$_flow_t" "$_flow_m"
done
for _flow_i in "$_flow_r"/instances/*; do
  [ -f "$_flow_i/links" ] && [ ! -e "$_flow_i/exit_code" ] || continue
  _flow_g=$(_flow_pgid "$_flow_i")
  [ -n "$_flow_g" ] && _flow_alive "$_flow_g" || continue
  while IFS= read -r _flow_l; do
    _flow_x=$(readlink "$_flow_l" 2>/dev/null) || continue
    case "$_flow_x" in "$_flow_r"/volumes/*) printf 'u %s %s\\n' "\${_flow_x##*/}" "\${_flow_i##*/}" ;; esac
  done < "$_flow_i/links"
done
exit 0
`;
}

function parseRecord(words: readonly string[]): Partial<HostVolumeRecord> {
  const record: Partial<HostVolumeRecord> = {};
  for (const word of words) {
    const [key, value] = [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)];
    if (key === 'size_gb' && /^\d+$/.test(value)) record.sizeGb = Number(value);
    else if (key === 'interface' && (value === 'block' || value === 'file')) record.interface = value;
    else if (key === 'created_at' && !Number.isNaN(Date.parse(value))) record.createdAt = value;
  }
  return record;
}

/** The volumes on one host, with the running instances that mount each. */
export async function listHostVolumes(shell: HostShell, remoteDir?: string): Promise<HostVolume[]> {
  const root = normalizeRemoteDir(remoteDir);
  const result = await runScript(shell, inventoryScript(root), 'list volumes', { timeoutMs: 60_000 });
  if (result.code !== 0) throw scriptFailed(shell, 'list volumes', result);
  const volumes = new Map<string, HostVolume>();
  const users: Array<[string, string]> = [];
  for (const line of result.stdout.toString('utf8').split('\n')) {
    const words = line.split(' ').filter((word) => word !== '');
    if (words[0] === 'v' && words.length >= 4 && VOLUME_NAME.test(words[1]!)) {
      const [, name, bytes, mtime] = words as [string, string, string, string];
      const record = parseRecord(words.slice(4));
      volumes.set(name, {
        name,
        path: `${root}/volumes/${name}`,
        ...(record.sizeGb !== undefined ? { sizeGb: record.sizeGb } : {}),
        ...(record.interface !== undefined ? { interface: record.interface } : {}),
        createdAt: record.createdAt ?? new Date(Number(mtime) * 1000).toISOString(),
        usedBytes: Number(bytes) || 0,
        usedBy: [],
      });
    } else if (words[0] === 'u' && words.length === 3) {
      users.push([words[1]!, words[2]!]);
    }
  }
  for (const [name, instance] of users) {
    const volume = volumes.get(name);
    if (volume !== undefined && !volume.usedBy.includes(instance)) volume.usedBy.push(instance);
  }
  return [...volumes.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Makes the folder and its record. False when a folder by that name is there already. */
export async function createHostVolume(shell: HostShell, name: string, record: HostVolumeRecord, remoteDir?: string): Promise<boolean> {
  validateSafeName(name, 'name');
  const root = normalizeRemoteDir(remoteDir);
  const line = [`size_gb=${record.sizeGb}`, ...(record.interface ? [`interface=${record.interface}`] : []), `created_at=${record.createdAt}`].join(' ');
  const script = `_flow_r=${shellPath(root)}
mkdir -p "$_flow_r/volumes" "$_flow_r/volume-meta" || exit 20
mkdir "$_flow_r/volumes/${name}" 2>/dev/null || { [ -e "$_flow_r/volumes/${name}" ] && exit 17; exit 20; }
printf '%s\\n' ${shellQuote(line)} > "$_flow_r/volume-meta/${name}" || exit 20
`;
  const result = await runScript(shell, script, `create volume '${name}'`, { timeoutMs: 60_000 });
  if (result.code === 17) return false;
  if (result.code !== 0) throw scriptFailed(shell, `create volume '${name}'`, result);
  return true;
}

/** Removes the folder (first renamed, so it leaves listings at once) and its record. */
export async function deleteHostVolume(shell: HostShell, name: string, remoteDir?: string): Promise<void> {
  validateSafeName(name, 'name');
  const root = normalizeRemoteDir(remoteDir);
  const script = `_flow_r=${shellPath(root)}
_flow_d="$_flow_r/volumes/.deleting-${name}-$$"
if [ -d "$_flow_r/volumes/${name}" ]; then mv "$_flow_r/volumes/${name}" "$_flow_d" || exit 20; fi
rm -f "$_flow_r/volume-meta/${name}"
[ -e "$_flow_d" ] && { rm -rf "$_flow_d" || exit 20; }
exit 0
`;
  const result = await runScript(shell, script, `delete volume '${name}'`, { timeoutMs: 600_000 });
  if (result.code !== 0) throw scriptFailed(shell, `delete volume '${name}'`, result);
}
