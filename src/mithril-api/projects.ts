import { z } from 'zod';
import { ResourceNotFoundError, ValidationError } from '../domain';
import { documentOf } from './envelope';
import type { MithrilHttp } from './http-client';
import { Timestamp, asRecord, oneOf, parseWith } from './parse-fields';

export interface MithrilProject {
  fid: string;
  name: string;
  createdAt: string;
}

const ProjectSchema = z.object({ fid: z.string().min(1), name: z.string().min(1), createdAt: Timestamp });

export function parseProject(row: unknown): MithrilProject {
  const record = asRecord(row, 'a project');
  return parseWith(
    ProjectSchema,
    {
      fid: oneOf(record, ['fid', 'id', 'project_id']),
      name: oneOf(record, ['name', 'display_name', 'project_name']),
      createdAt: record.created_at,
    },
    'a project',
  );
}

/** The account behind the key: GET /v2/me → its id. */
export async function getMe(http: MithrilHttp): Promise<{ fid: string }> {
  const record = asRecord(documentOf(await http.get('/v2/me')), 'the current user');
  return parseWith(z.object({ fid: z.string().min(1) }), { fid: oneOf(record, ['fid', 'id', 'user_id']) }, 'the current user');
}

export async function listProjects(http: MithrilHttp): Promise<MithrilProject[]> {
  return (await http.getAllPages('/v2/projects')).map(parseProject);
}

/**
 * The project to use: by fid, then exact name, then name ignoring case. With none configured,
 * the account's only project; several is a question only the user can answer.
 */
export function chooseProject(projects: readonly MithrilProject[], wanted: string | undefined): MithrilProject {
  const names = projects.map((p) => `${p.name} (${p.fid})`).join(', ') || 'none';
  if (wanted === undefined) {
    if (projects.length === 1) return projects[0]!;
    throw new ValidationError(projects.length === 0 ? 'This Mithril account has no project' : `Several Mithril projects; say which: ${names}`, {
      field: 'mithril.project',
      suggestions: ['Set MITHRIL_PROJECT, or choose one with: flow setup'],
    });
  }
  const found =
    projects.find((p) => p.fid === wanted) ??
    projects.find((p) => p.name === wanted) ??
    projects.find((p) => p.name.toLowerCase() === wanted.toLowerCase());
  if (found === undefined) {
    throw new ResourceNotFoundError(`Mithril project '${wanted}' not found`, [`Projects of this key: ${names}`, 'Choose one with: flow setup']);
  }
  return found;
}

export async function resolveProject(http: MithrilHttp, wanted: string | undefined): Promise<MithrilProject> {
  return chooseProject(await listProjects(http), wanted);
}
