import { AuthenticationError, AuthorizationError, FlowError, ProviderError, ValidationError } from '../domain/errors';
import type { FleetHost } from './fleet-host';
import { hostLabel } from './host-label';
import { knownHostName } from './known-hosts';

/** Node and ssh2 failures that mean "the host cannot be reached now": retrying may work. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
const UNREACHABLE_MESSAGES = /Timed out while waiting for handshake|Keepalive timeout|Connection lost before handshake|No response from server|Not connected|socket hang up|Channel open failure/i;

/** A key file that cannot be read or parsed: the user's configuration, not the host, must change. */
export function keyFileError(host: FleetHost, path: string, reason: string): ValidationError {
  return new ValidationError(`Cannot use the SSH key file ${path} for host ${hostLabel(host)}: ${reason}`, {
    field: `ssh.hosts.${host.name}.identity_file`,
    suggestions: [
      `Check that ${path} exists, is an unencrypted private key, and is readable by this user (chmod 600 ${path})`,
      `Or name another key: flow fleet remove ${host.name} && flow fleet add ${host.name} ${host.user}@${host.host}:${host.port} --identity-file PATH`,
    ],
  });
}

/** The host's key differs from the recorded one: refused until the user checks and re-trusts it. */
export function changedHostKeyError(host: FleetHost, recorded: string, offered: string, knownHostsPath: string): AuthorizationError {
  return new AuthorizationError(
    `The SSH host key of ${hostLabel(host)} has changed: ${knownHostsPath} records ${recorded}, the host now offers ${offered}. ` +
      'The connection was refused: the host may have been reinstalled, or someone may be intercepting the connection.',
    [
      `Check the host's key on the host itself: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`,
      `If it is ${offered}, trust the new key with: flow fleet trust ${host.name}`,
      `(A host not in the fleet yet: forget the old key with ssh-keygen -R '${knownHostName(host.host, host.port)}' -f ${knownHostsPath})`,
    ],
  );
}

/** A network error's code (ECONNREFUSED, ...) along its cause chain. */
function systemCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isUnreachable(error: unknown): boolean {
  const code = systemCode(error);
  if (code !== undefined && UNREACHABLE_CODES.has(code)) return true;
  return error instanceof Error && UNREACHABLE_MESSAGES.test(error.message);
}

/** The host cannot be reached now; the cause carries a network code so the CLI exits 6 (transient). */
export function unreachableError(host: FleetHost, error: unknown): ProviderError {
  const detail = error instanceof Error ? error.message : String(error);
  const code = systemCode(error);
  // ssh2's handshake and keepalive timeouts have no code: give them one the exit-code mapping knows.
  const cause = code !== undefined && UNREACHABLE_CODES.has(code) ? error : Object.assign(new Error(detail), { code: 'ETIMEDOUT', cause: error });
  return new ProviderError(`Cannot reach SSH host ${hostLabel(host)}: ${detail}`, {
    retryable: true,
    cause,
    suggestions: [
      `Check that the host is up and that sshd listens on ${host.host}:${host.port} (try: ssh -p ${host.port} ${host.user}@${host.host} true)`,
      ...(host.proxyJump ? [`Check the jump host(s) ${host.proxyJump}`] : []),
      'Flow retries unreachable hosts; run the command again once the network is back',
    ],
  });
}

export function loginRefusedError(host: FleetHost, keyDescription: string): AuthenticationError {
  return new AuthenticationError(`SSH host ${hostLabel(host)} refused the login as ${host.user} with ${keyDescription}`, [
    `Add the public key to ~${host.user}/.ssh/authorized_keys on ${host.host} (e.g. ssh-copy-id -p ${host.port} ${host.user}@${host.host})`,
    `Or use a key the host accepts: flow fleet add ${host.name} ${host.user}@${host.host}:${host.port} --identity-file PATH`,
  ]);
}

/** Maps a connection failure to a FlowError naming the host and the fix. */
export function connectionError(host: FleetHost, error: unknown, keyDescription: string): FlowError {
  if (error instanceof FlowError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/All configured authentication methods failed|authentication/i.test(message)) return loginRefusedError(host, keyDescription);
  if (isUnreachable(error)) return unreachableError(host, error);
  return new ProviderError(`SSH connection to ${hostLabel(host)} failed: ${message}`, { retryable: true, cause: error });
}
