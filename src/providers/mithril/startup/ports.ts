/** Opens each port with the platform's forwarder (foundrypf) where the image has it. */
export function portsSection(ports: readonly number[]): string {
  if (ports.length === 0) return '';
  return `# ports
for _flow_port in ${ports.join(' ')}; do
  if command -v foundrypf >/dev/null 2>&1; then
    nohup foundrypf "$_flow_port" >/dev/null 2>&1 &
    log "port $_flow_port forwarded"
  else
    log "foundrypf is not installed: port $_flow_port not forwarded"
  fi
done`;
}
