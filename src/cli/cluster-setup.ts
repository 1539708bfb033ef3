// `flow setup-cluster`: makes a Temporal cluster ready for Flow. Checks the namespace (or creates
// it when asked) and registers Flow's search attributes as Keyword through the operator service.
// Idempotent: a second run finds everything in place and changes nothing.
import type { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { AuthorizationError, ResourceNotFoundError, TransientError, ValidationError } from '../domain';
import { SEARCH_ATTRIBUTES } from '../workflows/definitions';

/** temporal.api.enums.v1.IndexedValueType, by number (the proto enum, without loading the proto package). */
const INDEXED_VALUE_TYPES = ['Unspecified', 'Text', 'Keyword', 'Int', 'Double', 'Bool', 'Datetime', 'KeywordList'] as const;
const KEYWORD = 2;
/** gRPC status codes this file tells apart. */
const GRPC = { notFound: 5, alreadyExists: 6, permissionDenied: 7, unimplemented: 12 } as const;

export interface ClusterSetupOptions {
  address: string;
  namespace: string;
  /** Create the namespace when it is missing (else a missing one is an error with the command to run). */
  createNamespace?: boolean;
  /** Retention of a namespace created here, in days. */
  retentionDays?: number;
  /** How long to wait for a new namespace or attribute to become visible. */
  settleTimeoutMs?: number;
}

export interface ClusterSetupReport {
  address: string;
  namespace: { name: string; status: 'exists' | 'created' };
  searchAttributes: Array<{ name: string; type: 'Keyword'; status: 'exists' | 'added' }>;
  /** False when the run found everything in place. */
  changed: boolean;
}

function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

/** PERMISSION_DENIED / UNIMPLEMENTED (Temporal Cloud's operator service) become a clear error; the rest pass through. */
function operatorError(error: unknown, what: string, namespace: string): unknown {
  const code = grpcCode(error);
  if (code === GRPC.permissionDenied || code === GRPC.unimplemented) {
    return new AuthorizationError(`The server refused to ${what}: ${firstLine(error)}`, [
      'Use an identity with admin rights on the namespace',
      `On Temporal Cloud, add the attributes in the Cloud UI or with: tcld namespace search-attributes add --namespace ${namespace} ${SEARCH_ATTRIBUTES.map((name) => `--search-attribute "${name}=Keyword"`).join(' ')}`,
    ]);
  }
  return error;
}

async function namespaceExists(connection: Connection, namespace: string): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch (error) {
    if (grpcCode(error) === GRPC.notFound) return false;
    throw error;
  }
}

/** Polls `check` until it is true; a new namespace or attribute takes a moment to reach every frontend. */
async function settle(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() >= deadline) throw new TransientError(`${what} did not become visible within ${timeoutMs} ms`, { suggestions: ['Run flow setup-cluster again in a moment'] });
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function ensureNamespace(connection: Connection, options: ClusterSetupOptions): Promise<'exists' | 'created'> {
  const { namespace } = options;
  if (await namespaceExists(connection, namespace)) return 'exists';
  const retentionDays = options.retentionDays ?? 3;
  if (!options.createNamespace) {
    throw new ResourceNotFoundError(`Namespace '${namespace}' does not exist on the Temporal server at ${options.address}`, [
      `Create it with: temporal operator namespace create --namespace ${namespace} --retention ${retentionDays * 24}h --address ${options.address}`,
      'Or let Flow create it: flow setup-cluster --create-namespace',
      'Or point Flow at an existing one: TEMPORAL_NAMESPACE=... (or namespace: in the profile)',
    ]);
  }
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`) });
  } catch (error) {
    // Another setup-cluster won the race: the namespace is there, which is what was asked.
    if (grpcCode(error) !== GRPC.alreadyExists) throw operatorError(error, `create namespace ${namespace}`, namespace);
  }
  // describeNamespace reads the database; the operator service reads the namespace cache, which
  // catches up a few seconds later (until then it answers NOT_FOUND).
  const listable = () => customAttributes(connection, namespace).then(() => true, (error: unknown) => (grpcCode(error) === GRPC.notFound ? false : Promise.reject(error)));
  await settle(listable, options.settleTimeoutMs ?? 30_000, `Namespace ${namespace}`);
  return 'created';
}

async function customAttributes(connection: Connection, namespace: string): Promise<Record<string, number>> {
  const response = await connection.operatorService.listSearchAttributes({ namespace });
  return Object.fromEntries(Object.entries(response.customAttributes ?? {}).map(([name, type]) => [name, Number(type)]));
}

/** Checks the namespace and registers each missing Flow search attribute as Keyword. */
export async function setUpCluster(connection: Connection, options: ClusterSetupOptions): Promise<ClusterSetupReport> {
  const { namespace } = options;
  const namespaceStatus = await ensureNamespace(connection, options);
  let registered: Record<string, number>;
  try {
    registered = await customAttributes(connection, namespace);
  } catch (error) {
    throw operatorError(error, `list the search attributes of ${namespace}`, namespace);
  }
  const conflicts = SEARCH_ATTRIBUTES.filter((name) => registered[name] !== undefined && registered[name] !== KEYWORD);
  if (conflicts.length > 0) {
    const described = conflicts.map((name) => `${name} is ${INDEXED_VALUE_TYPES[registered[name]!] ?? `type ${registered[name]}`}`).join(', ');
    throw new ValidationError(`Namespace ${namespace} has Flow's search attributes with another type than Keyword: ${described}`, {
      field: `searchAttributes.${conflicts[0]}`,
      suggestions: [
        `Flow filters tasks by these as Keyword. If nothing else uses them, remove them (temporal operator search-attribute remove --namespace ${namespace} ${conflicts.map((name) => `--name ${name}`).join(' ')}) and run flow setup-cluster again`,
        'Or use another namespace for Flow (TEMPORAL_NAMESPACE)',
      ],
    });
  }
  const missing = SEARCH_ATTRIBUTES.filter((name) => registered[name] === undefined);
  if (missing.length > 0) {
    try {
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])) });
    } catch (error) {
      throw operatorError(error, `add search attributes to ${namespace}`, namespace);
    }
    await settle(async () => {
      const now = await customAttributes(connection, namespace);
      return missing.every((name) => now[name] === KEYWORD);
    }, options.settleTimeoutMs ?? 30_000, `Search attributes ${missing.join(', ')}`);
  }
  return {
    address: options.address,
    namespace: { name: namespace, status: namespaceStatus },
    searchAttributes: SEARCH_ATTRIBUTES.map((name) => ({ name, type: 'Keyword' as const, status: missing.includes(name) ? ('added' as const) : ('exists' as const) })),
    changed: namespaceStatus === 'created' || missing.length > 0,
  };
}

/** The report for a person: one line per thing checked, and what changed. */
export function formatClusterSetup(report: ClusterSetupReport, profile?: string): string {
  const lines = [`Temporal at ${report.address}, namespace ${report.namespace.name}${profile ? ` (profile ${profile})` : ''}`];
  lines.push(`  namespace ${report.namespace.name}: ${report.namespace.status === 'created' ? 'created' : 'exists'}`);
  for (const attribute of report.searchAttributes) {
    lines.push(`  search attribute ${attribute.name} (Keyword): ${attribute.status === 'added' ? 'registered now' : 'already registered'}`);
  }
  lines.push(report.changed ? 'The cluster is ready for Flow.' : 'Nothing to change: the cluster is ready for Flow.');
  return `${lines.join('\n')}\n`;
}
