import { z } from 'zod';
import { ValidationError, parseInstanceType, type InstanceSpec } from '../domain';
import type { MithrilHttp } from './http-client';
import { Count, asRecord, parseWith } from './parse-fields';

/** One row of GET /v2/instance-types. */
export interface CatalogRow {
  fid: string;
  name: string;
  /** Lower-case GPU model as the API names it (a100, h100), or null for a CPU type. */
  gpuType: string | null;
  numGpus: number;
  gpuMemoryGb?: number;
  numCpus?: number;
  ramGb?: number;
  cpuType?: string;
}

const CatalogSchema = z.object({
  fid: z.string().regex(/^it_[A-Za-z0-9]+$/, 'must be an it_ id'),
  name: z.string().min(1),
  gpuType: z.string().min(1).nullable(),
  numGpus: Count,
  gpuMemoryGb: Count.optional(),
  numCpus: Count.optional(),
  ramGb: Count.optional(),
  cpuType: z.string().optional(),
});

/** Reads a catalog row, including the legacy form that lists `gpus: [{name, count}]`. */
export function parseCatalogRow(row: unknown): CatalogRow {
  const record = asRecord(row, 'an instance type');
  const legacy = Array.isArray(record.gpus) ? (record.gpus[0] as { name?: unknown; count?: unknown } | undefined) : undefined;
  const gpuType = record.gpu_type ?? legacy?.name ?? null;
  const parsed = parseWith(
    CatalogSchema,
    {
      fid: record.fid,
      name: record.name,
      gpuType,
      numGpus: record.num_gpus ?? legacy?.count ?? 0,
      gpuMemoryGb: record.gpu_memory_gb ?? undefined,
      numCpus: record.num_cpus ?? undefined,
      ramGb: record.ram_gb ?? record.ram ?? undefined,
      cpuType: record.cpu_type ?? undefined,
    },
    'an instance type',
  );
  return { ...parsed, gpuType: parsed.gpuType === null ? null : parsed.gpuType.toLowerCase().replace(/^nvidia[\s-]*/, '') };
}

export async function listInstanceTypes(http: MithrilHttp): Promise<CatalogRow[]> {
  return (await http.getAllPages('/v2/instance-types', {}, { maxPages: 20 })).map(parseCatalogRow);
}

/** The row in our catalog's terms (8xh100, 1xa100-40gb); a model our catalog lacks keeps the API's numbers. */
export function specOfRow(row: CatalogRow): InstanceSpec {
  if (row.gpuType === null || row.numGpus === 0) return { name: `${row.numCpus ?? 0}xcpu`, gpuModel: null, gpuCount: 0, gpuMemoryGb: 0 };
  for (const candidate of [row.name, `${row.numGpus}x${row.gpuType}-${row.gpuMemoryGb ?? 0}gb`, `${row.numGpus}x${row.gpuType}`]) {
    try {
      const spec = parseInstanceType(candidate);
      if (spec.gpuCount === row.numGpus && (row.gpuMemoryGb === undefined || spec.gpuMemoryGb === row.gpuMemoryGb)) return spec;
    } catch {
      // Not a spelling our catalog knows; try the next.
    }
  }
  return { name: `${row.numGpus}x${row.gpuType}`, gpuModel: row.gpuType, gpuCount: row.numGpus, gpuMemoryGb: row.gpuMemoryGb ?? 0 };
}

/** Names a row answers to: its lower-cased name, "<num_gpus>x<gpu_type>" (or "<cpus>xcpu"), and our catalog name. */
export function aliasesOf(row: CatalogRow): string[] {
  const names = new Set([row.name.toLowerCase(), specOfRow(row).name.toLowerCase()]);
  if (row.gpuType !== null && row.numGpus > 0) names.add(`${row.numGpus}x${row.gpuType}`);
  else if (row.numCpus !== undefined) names.add(`${row.numCpus}xcpu`);
  return [...names];
}

/** A request resolved against the catalog: the chosen it_ id and every id that serves the same request. */
export interface ResolvedType {
  fid: string;
  candidates: string[];
  /** Our catalog name for it, e.g. 8xh100. */
  name: string;
}

/**
 * "h100:8" and "h100x8" → "8xh100". The "x" suffix form needs a digit in the family, so
 * "rtx4090" stays a family; a count written twice is refused.
 */
export function normalizeTypeName(input: string): string {
  const text = input.trim().toLowerCase();
  const prefixed = /^(\d+)x(.+)$/.exec(text);
  const suffixed = /^(.+?)(?::|x)(\d+)$/.exec(text);
  if (prefixed && suffixed && (text.includes(':') || /\d/.test(suffixed[1]!.replace(/^\d+x/, '')))) {
    throw new ValidationError(`Instance type '${input}' gives the GPU count twice`, { field: 'instanceType', suggestions: [`Use e.g. ${prefixed[1]}x${prefixed[2]!.replace(/:\d+$/, '')}`] });
  }
  if (prefixed) return text;
  if (suffixed && (text.includes(':') || /\d/.test(suffixed[1]!))) return `${suffixed[2]}x${suffixed[1]}`;
  return text;
}

/** Several GPU counts of one family: the user must pick one. */
function ambiguous(input: string, rows: CatalogRow[]): ValidationError {
  const choices = [...new Set(rows.map((row) => specOfRow(row).name))].sort((a, b) => parseInt(a) - parseInt(b));
  return new ValidationError(`Instance type '${input}' is ambiguous on Mithril; give the GPU count:\n${choices.map((c) => `  - ${c}`).join('\n')}`, {
    field: 'instanceType',
    suggestions: [`For example: -i ${choices[0]}`],
  });
}

/**
 * Resolves an instance type name against the catalog. `it_` ids pass through. A bare family
 * (`h100`) resolves when our catalog gives it a count (H100 is sold as whole 8-GPU nodes) and
 * Mithril sells that count, or when Mithril sells only one count; otherwise it is ambiguous.
 */
export function resolveInstanceType(catalog: readonly CatalogRow[], input: string): ResolvedType {
  const trimmed = input.trim();
  if (/^it_[A-Za-z0-9]+$/.test(trimmed)) {
    const row = catalog.find((r) => r.fid === trimmed);
    return { fid: trimmed, candidates: [trimmed], name: row === undefined ? trimmed : specOfRow(row).name };
  }
  const wanted = normalizeTypeName(trimmed);
  // Our catalog's own name first: "1xa100" is the 80 GB A100, though the 40 GB one is also "1 x a100" to the API.
  const byOurName = catalog.filter((row) => specOfRow(row).name === wanted);
  if (byOurName.length > 0) return resolved(byOurName);
  const byAlias = catalog.filter((row) => aliasesOf(row).includes(wanted));
  if (byAlias.length > 0) return resolved(byAlias);

  const family = catalog.filter((row) => row.gpuType === wanted || specOfRow(row).name.replace(/^\d+x/, '') === wanted);
  if (family.length > 0 && !/^\d+x/.test(wanted)) {
    const counts = new Set(family.map((row) => row.numGpus));
    if (counts.size === 1) return resolved(family);
    let ours: InstanceSpec | undefined;
    try {
      ours = parseInstanceType(wanted);
    } catch {
      ours = undefined;
    }
    // Our catalog's bare name means a fixed count only for whole-node models; a100 alone stays ambiguous here.
    const whole = ours !== undefined && ours.gpuCount === 8 ? family.filter((row) => row.numGpus === 8) : [];
    if (whole.length > 0) return resolved(whole);
    throw ambiguous(input, family);
  }
  const known = [...new Set(catalog.map((row) => specOfRow(row).name))].sort();
  throw new ValidationError(`Unknown Mithril instance type '${input}'`, {
    field: 'instanceType',
    suggestions: [`Available: ${known.join(', ') || 'none'}`, 'See prices per region with: flow instances'],
  });
}

function resolved(rows: CatalogRow[]): ResolvedType {
  return { fid: rows[0]!.fid, candidates: rows.map((row) => row.fid), name: specOfRow(rows[0]!).name };
}
