/** /etc/hosts of a bid's nodes: every node on its own line, rank 0 (the head) LAST, as the startup script expects. */
export function hostsFile(nodes: Array<{ address: string; name: string }>): string {
  const lines = ['127.0.0.1 localhost', '::1 localhost ip6-localhost ip6-loopback'];
  for (const node of [...nodes].reverse()) lines.push(`${node.address} ${node.name}`);
  return `${lines.join('\n')}\n`;
}

/** `<bid name>-<index>` as a valid hostname (letters, digits, dashes; at most 63 characters). */
export function nodeHostname(bidName: string, index: number): string {
  const suffix = `-${index}`;
  const base = bidName.replace(/[^A-Za-z0-9-]/g, '-').replace(/^-+/, '') || 'node';
  return `${base.slice(0, 63 - suffix.length)}${suffix}`;
}
