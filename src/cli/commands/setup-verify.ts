import type { FlowSettings } from '../../config/load-config';
import { AuthenticationError, ResourceNotFoundError, ValidationError } from '../../domain';
import { chooseProject, listProjects, mithrilHttpFromSettings } from '../../mithril-api';
import { settingsSshKeyIds } from '../../mithril-api/ssh-key-ids';

/** What `flow setup` learnt from the Mithril API about the settings it is about to write. */
export type MithrilCheck =
  | { verified: true; project: { fid: string; name: string }; sshKeyIds: string[] }
  | { verified: false; reason: string };

/**
 * Checks the candidate Mithril settings against the API before they are saved: the key works
 * (else AuthenticationError), the project exists (else the projects the key can see), and every
 * SSH key named resolves (a key file is uploaded once). The worker's own key is the worker's
 * business: it registers it with its first bid. An API that cannot be reached is not an error:
 * the settings are saved with the reason, since the user may be offline.
 */
export async function checkMithrilSettings(mithril: FlowSettings['mithril']): Promise<MithrilCheck> {
  // Short: a person is waiting, and an unreachable API only adds a note.
  const http = mithrilHttpFromSettings(mithril, { maxAttempts: 2, timeoutMs: 15_000 });
  try {
    const project = chooseProject(await listProjects(http), mithril.project);
    const sshKeyIds = await settingsSshKeyIds(http, project.fid, mithril.sshKeys);
    return { verified: true, project: { fid: project.fid, name: project.name }, sshKeyIds };
  } catch (error) {
    if (error instanceof AuthenticationError || error instanceof ValidationError || error instanceof ResourceNotFoundError) throw error;
    return { verified: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
