// The SSH fleet in config.yaml (`ssh.hosts`): read and validated for the provider and `flow fleet`,
// edited in place (comments and other keys kept) by `flow fleet add/remove`.
import { readFileSync } from 'node:fs';
import type { Document } from 'yaml';
import type { z } from 'zod';
import { ResourceNotFoundError, ValidationError } from '../domain/errors';
import type { FleetHost } from '../ssh/fleet-host';
import { camelKey, FleetHostSchema, FleetHostsSchema, snakeKey } from './fleet-schema';
import { flowPaths } from './flow-home';
import { parseYaml } from './parse-yaml';
import { editConfigDocument } from './write-config';

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** An entry's keys camelCased (labels keep theirs). */
function camelEntry(entry: unknown): unknown {
  if (!isMapping(entry)) return entry;
  return Object.fromEntries(Object.entries(entry).map(([key, value]) => [camelKey(key), value]));
}

/** "ssh.hosts[1] (gpu2): port: must be 1-65535", with the field as the file spells it. */
function fleetError(configFile: string, error: z.ZodError, raw: unknown[]): ValidationError {
  const lines: string[] = [];
  let field: string | undefined;
  for (const issue of error.issues) {
    const [index, ...rest] = issue.path;
    const entry = typeof index === 'number' ? raw[index] : undefined;
    const name = isMapping(entry) && typeof entry.name === 'string' ? entry.name : undefined;
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [''];
    for (const key of keys) {
      const fieldPath = [...rest, key].filter((part) => part !== '').map((part) => snakeKey(String(part))).join('.');
      const where = typeof index === 'number' ? `ssh.hosts[${index}]${name ? ` (${name})` : ''}` : 'ssh.hosts';
      lines.push(`${where}${fieldPath ? `: ${fieldPath}` : ''}: ${issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message}`);
      field ??= `ssh.hosts.${name ?? String(index ?? '')}${fieldPath ? `.${fieldPath}` : ''}`;
    }
  }
  return new ValidationError(`Invalid SSH fleet in ${configFile}: ${lines.join('; ')}`, {
    field,
    suggestions: [`Fix the entry in ${configFile}, or remove it with: flow fleet remove NAME and add it again with: flow fleet add`],
  });
}

/** The raw `ssh.hosts` list of config.yaml ([] when there is none). */
function rawHosts(configFile: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(configFile, 'utf8');
  } catch {
    return [];
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ValidationError(`${configFile} is not valid YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, { suggestions: ['Fix the file by hand'] });
  }
  const ssh = isMapping(parsed) ? parsed.ssh : undefined;
  if (ssh === undefined || ssh === null) return [];
  if (!isMapping(ssh)) throw new ValidationError(`${configFile}: ssh must be a mapping with a hosts list`, { field: 'ssh' });
  const hosts = ssh.hosts;
  if (hosts === undefined || hosts === null) return [];
  if (!Array.isArray(hosts)) throw new ValidationError(`${configFile}: ssh.hosts must be a list of hosts`, { field: 'ssh.hosts' });
  return hosts;
}

/** Every fleet host in $FLOW_HOME/config.yaml, validated; errors name the entry and the field. */
export function readFleet(home: string): FleetHost[] {
  const configFile = flowPaths(home).configFile;
  const raw = rawHosts(configFile);
  const result = FleetHostsSchema.safeParse(raw.map(camelEntry));
  if (!result.success) throw fleetError(configFile, result.error, raw);
  return result.data;
}

export function findFleetHost(home: string, name: string): FleetHost {
  const host = readFleet(home).find((entry) => entry.name === name);
  if (!host) throw new ResourceNotFoundError(`No SSH host named '${name}' in the fleet`, ['List the fleet with: flow fleet list', `Add it with: flow fleet add ${name} USER@HOST`]);
  return host;
}

/** The entry as config.yaml spells it: snake_case, unset and empty fields left out. */
export function fleetHostEntry(host: FleetHost): Record<string, unknown> {
  const entry: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(host)) {
    if (value === undefined) continue;
    if (key === 'labels' && Object.keys(value as object).length === 0) continue;
    entry[snakeKey(key)] = value;
  }
  return entry;
}

function hostsNode(document: Document): unknown[] {
  const current = document.getIn(['ssh', 'hosts']);
  return Array.isArray((current as { toJSON?: () => unknown } | undefined)?.toJSON?.()) ? ((current as { toJSON: () => unknown[] }).toJSON()) : [];
}

/** Adds `host` to config.yaml; a name already in the fleet is an error. */
export function addFleetHost(home: string, host: FleetHost): void {
  const checked = FleetHostSchema.parse(host);
  editConfigDocument(flowPaths(home).configFile, (document) => {
    const names = hostsNode(document).map((entry) => (isMapping(entry) ? entry.name : undefined));
    if (names.includes(checked.name)) {
      throw new ValidationError(`The fleet already has a host named '${checked.name}'`, {
        field: 'name',
        suggestions: [`Choose another name, or remove it first: flow fleet remove ${checked.name}`],
      });
    }
    const yaml = require('yaml') as typeof import('yaml');
    if (!yaml.isMap(document.get('ssh', true))) document.set('ssh', document.createNode({}));
    if (!yaml.isSeq(document.getIn(['ssh', 'hosts'], true))) document.setIn(['ssh', 'hosts'], document.createNode([]));
    (document.getIn(['ssh', 'hosts'], true) as import('yaml').YAMLSeq).add(document.createNode(fleetHostEntry(checked)));
  });
}

/** Removes the host named `name`; returns it as it was stored. */
export function removeFleetHost(home: string, name: string): Record<string, unknown> {
  let removed: Record<string, unknown> | undefined;
  editConfigDocument(flowPaths(home).configFile, (document) => {
    const yaml = require('yaml') as typeof import('yaml');
    const seq = document.getIn(['ssh', 'hosts'], true);
    if (!yaml.isSeq(seq)) return false;
    const index = seq.items.findIndex((item) => yaml.isMap(item) && item.get('name') === name);
    if (index < 0) return false;
    removed = (seq.items[index] as import('yaml').YAMLMap).toJSON() as Record<string, unknown>;
    seq.items.splice(index, 1);
  });
  if (!removed) throw new ResourceNotFoundError(`No SSH host named '${name}' in the fleet`, ['List the fleet with: flow fleet list']);
  return removed;
}
