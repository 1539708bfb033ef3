/**
 * The settings schema's result (settings-schema.ts) for simple merged settings — the usual case:
 * nothing or a few plain values set — computed without zod, which a fresh CLI would otherwise
 * load and build for tens of ms. Anything else (an unknown key, another type, a value the schema
 * would trim, coerce or refuse, the ssh fleet, a log store, Mithril's URL or keys) returns
 * undefined and goes through the schema, so its errors stay the same.
 * test/unit/settings-fast.test.ts compares both on a table.
 */
import { PULL_POLICIES } from '../containers/pull-policy';
import { PROVIDER_NAMES } from '../domain/task-config-rules';
import type { FlowSettings } from './settings-schema';

export const DEFAULT_MITHRIL_API_URL = 'https://api.mithril.ai';

type Check = (value: unknown) => boolean;
/** A leaf: the values taken as they are, and the default when unset (none: stays unset). */
interface Leaf {
  check: Check;
  fallback?: () => unknown;
}
type Shape = { [key: string]: Leaf | Shape };

const isString: Check = (value) => typeof value === 'string';
/** `.trim().min(1)` in the schema: only a value it would keep as it is. */
const isTrimmed: Check = (value) => typeof value === 'string' && value.length > 0 && value.trim() === value;
const isBoolean: Check = (value) => typeof value === 'boolean';
const never: Check = () => false;
const leaf = (check: Check, fallback?: () => unknown): Leaf => ({ check, ...(fallback ? { fallback } : {}) });

/** FlowSettingsSchema's shape, in its order (the output's key order). */
const SHAPE: Shape = {
  provider: leaf((value) => (PROVIDER_NAMES as readonly unknown[]).includes(value), () => 'local'),
  temporal: {
    profile: leaf(isTrimmed),
    address: leaf(isString),
    namespace: leaf(isString, () => 'default'),
    apiKey: leaf(isString),
    tls: leaf(isBoolean, () => false),
    tlsCertPath: leaf(isString),
    tlsKeyPath: leaf(isString),
    tlsCaPath: leaf(isString),
    serverName: leaf(isString),
  },
  temporalBin: leaf(isString),
  encryptionKey: leaf(isTrimmed),
  local: {
    pricePerHour: leaf((value) => typeof value === 'number' && Number.isFinite(value) && value >= 0, () => 0),
    encryptVolumes: leaf(isBoolean, () => false),
    containerRuntime: leaf(isTrimmed),
    imagePullPolicy: leaf((value) => (PULL_POLICIES as readonly unknown[]).includes(value), () => 'missing'),
    noImage: leaf(isBoolean, () => false),
  },
  mithril: {
    apiKey: leaf(isTrimmed),
    project: leaf(isTrimmed),
    region: leaf(isTrimmed),
    apiUrl: leaf(never, () => DEFAULT_MITHRIL_API_URL),
    sshKeys: leaf(never, () => []),
  },
  ssh: { hosts: leaf(never, () => []) },
  logs: { store: leaf(never) },
};

const isLeaf = (node: Leaf | Shape): node is Leaf => typeof (node as Leaf).check === 'function';
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;

/** One object level; undefined when a key or value is outside the simple set. */
function simpleLevel(shape: Shape, input: Record<string, unknown>): Record<string, unknown> | undefined {
  for (const key of Object.keys(input)) if (!Object.hasOwn(shape, key)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, node] of Object.entries(shape)) {
    const value = input[key];
    if (isLeaf(node)) {
      if (value !== undefined) {
        if (!node.check(value)) return undefined;
        out[key] = value;
      } else if (node.fallback) out[key] = node.fallback();
      continue;
    }
    // Nested objects have all-optional fields: unset is the same as {} (the schema's prefault).
    if (value !== undefined && !isPlainObject(value)) return undefined;
    const nested = simpleLevel(node, value ?? {});
    if (nested === undefined) return undefined;
    out[key] = nested;
  }
  return out;
}

/** FlowSettingsSchema.parse(merged) for simple settings (without `home`); undefined for anything else. */
export function simpleSettings(merged: unknown): Omit<FlowSettings, 'home'> | undefined {
  if (!isPlainObject(merged)) return undefined;
  return simpleLevel(SHAPE, merged) as Omit<FlowSettings, 'home'> | undefined;
}
