import { ValidationError } from '../domain/errors';

export interface JumpHop {
  user?: string;
  host: string;
  port: number;
}

/** OpenSSH's ProxyJump: "[user@]host[:port]" hops, comma-separated, in the order they are crossed. */
export function parseProxyJump(text: string, field = 'proxy_jump'): JumpHop[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const match = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d+))?$/.exec(part);
      if (!match) {
        throw new ValidationError(`${field} '${part}' is not [user@]host[:port]`, { field, suggestions: ['Write it as in OpenSSH, e.g. admin@bastion.example.com:2222'] });
      }
      const port = match[3] === undefined ? 22 : Number(match[3]);
      if (!(port > 0 && port < 65536)) throw new ValidationError(`${field} '${part}' has an invalid port`, { field });
      return { user: match[1], host: (match[2] as string).replace(/^\[|\]$/g, ''), port };
    });
}
