import { formatPrice } from './money';
import type { Bid, Instance, SshKey, Volume } from './model';
import { fingerprint, publicKeyBlob } from '../sshd-lab/sshd';

/** Records rendered as the API serves them. */

export function bidView(bid: Bid): Record<string, unknown> {
  return {
    fid: bid.fid,
    name: bid.name,
    project: bid.project,
    status: bid.status,
    paused: bid.status === 'Paused',
    created_at: bid.createdAt,
    created_by: bid.createdBy,
    instance_type: bid.instanceType,
    region: bid.region,
    instance_quantity: bid.quantity,
    limit_price: formatPrice(bid.limitPriceCents),
    launch_specification: { ...bid.launch },
    instances: [...bid.instances],
    ...(bid.message ? { message: bid.message } : {}),
  };
}

export function instanceView(instance: Instance): Record<string, unknown> {
  // Like the cloud, an instance has no address until it is being started.
  const address = instance.status === 'STATUS_NEW' ? null : instance.address;
  return {
    fid: instance.fid,
    name: instance.name,
    bid: instance.bid,
    status: instance.status,
    created_at: instance.createdAt,
    instance_type: instance.instanceType,
    region: instance.region,
    ssh_destination: address,
    ssh_port: 22,
    public_ip: address,
    private_ip: address,
  };
}

export function volumeView(volume: Volume, attachedTo: string[], bids: string[]): Record<string, unknown> {
  return {
    fid: volume.fid,
    name: volume.name,
    project: volume.project,
    region: volume.region,
    capacity_gb: volume.sizeGb,
    interface: volume.diskInterface,
    created_at: volume.createdAt,
    attached_to: attachedTo,
    bids,
    reservations: [],
    status: attachedTo.length > 0 ? 'attached' : 'available',
  };
}

export function sshKeyView(key: SshKey): Record<string, unknown> {
  return {
    fid: key.fid,
    name: key.name,
    project: key.project,
    public_key: key.publicKey,
    required: key.required,
    fingerprint: fingerprint(publicKeyBlob(key.publicKey)),
    created_at: key.createdAt,
  };
}
