import { z } from 'zod';

/** One `ssh.hosts` entry of config.yaml, after its keys are camelCased (the file spells them snake_case). */
export const FleetHostSchema = z.strictObject({
  name: z
    .string({ error: 'must be a name, e.g. gpu1' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be letters, digits, ".", "_" or "-" (at most 63), e.g. gpu1'),
  user: z.string({ error: 'must be the login user, e.g. ubuntu' }).trim().min(1, 'must not be empty'),
  host: z.string({ error: 'must be an address or DNS name' }).trim().min(1, 'must not be empty'),
  port: z.coerce.number({ error: 'must be a port number' }).int('must be a whole number').min(1, 'must be 1-65535').max(65535, 'must be 1-65535').default(22),
  identityFile: z.string().trim().min(1, 'must not be empty').optional(),
  proxyJump: z.string().trim().min(1, 'must not be empty').optional(),
  instanceType: z.string().trim().min(1, 'must not be empty').default('cpu'),
  cpus: z.coerce.number({ error: 'must be a CPU count' }).int('must be a whole number').min(0, 'must not be negative').default(0),
  memoryGb: z.coerce.number({ error: 'must be memory in GB' }).min(0, 'must not be negative').default(0),
  pricePerHour: z.coerce.number({ error: 'must be a price in USD per hour, e.g. 2.5' }).min(0, 'must not be negative').default(0),
  labels: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
  remoteDir: z.string().trim().min(1, 'must not be empty').optional(),
});

export const FleetHostsSchema = z.array(FleetHostSchema).superRefine((hosts, context) => {
  const seen = new Set<string>();
  hosts.forEach((host, index) => {
    if (seen.has(host.name)) context.addIssue({ code: 'custom', path: [index, 'name'], message: `'${host.name}' is used by another host; names must be unique` });
    seen.add(host.name);
  });
});

/** The ssh section of config.yaml. */
export const SshSettingsSchema = z.strictObject({ hosts: FleetHostsSchema.default([]) });

/** "proxyJump" → "proxy_jump", as the file spells it. */
export function snakeKey(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

export function camelKey(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}
