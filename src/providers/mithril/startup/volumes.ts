import { shellQuote } from '../../ssh/remote-layout';
import type { StartupVolume } from './types';

/**
 * `_flow_volume ID NAME INTERFACE MOUNT_PATH`, polled once a second until WAIT seconds:
 * - block: the device the platform attached, by id (virtio serial is the id cut to 20 chars;
 *   EBS-style nvme and scsi names carry it whole); formatted ext4 when blank, then mounted.
 * - file, or a block volume with no device: the folder the platform mounted at /mnt/<name>
 *   (virtiofs; the simulator presents every volume this way) is bind-mounted at the mount path.
 * Anything else fails the startup with a message naming what was looked for.
 */
function volumeFunction(waitSeconds: number): string {
  return `_flow_volume() {
  local id=$1 name=$2 kind=$3 target=$4 dev= cand
  local end=$((SECONDS + ${waitSeconds}))
  while :; do
    if [ "$kind" = block ]; then
      for cand in "/dev/disk/by-id/virtio-\${id:0:20}" "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_\${id}" "/dev/disk/by-id/scsi-0Amazon_Elastic_Block_Store_\${id}"; do
        if [ -b "$cand" ]; then dev=$cand; break; fi
      done
    fi
    if [ -n "$dev" ] || [ -d "/mnt/$name" ]; then break; fi
    if [ "$SECONDS" -ge "$end" ]; then
      log "volume $name ($id, $kind) did not appear within ${waitSeconds} s: no block device by id and no folder /mnt/$name"
      exit 1
    fi
    sleep 1
  done
  mkdir -p "$target"
  if [ -n "$dev" ]; then
    if [ -z "$(blkid -o value -s TYPE "$dev" 2>/dev/null || true)" ]; then
      log "volume $name: formatting blank $dev as ext4"
      mkfs.ext4 -F -q "$dev"
    fi
    if ! mountpoint -q "$target"; then mount "$dev" "$target"; fi
    chmod 755 "$target"
  elif [ "/mnt/$name" != "$target" ] && ! mountpoint -q "$target"; then
    mount --bind "/mnt/$name" "$target"
  fi
  log "volume $name mounted at $target"
}`;
}

export function volumesSection(volumes: readonly StartupVolume[], waitSeconds: number): string {
  if (volumes.length === 0) return '';
  const calls = volumes.map((v) => `_flow_volume ${[v.id, v.name, v.interface, v.mountPath].map(shellQuote).join(' ')}`);
  return `# volumes\n${volumeFunction(waitSeconds)}\n${calls.join('\n')}`;
}
