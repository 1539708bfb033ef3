import { holdsInstances, type Provider } from '../providers/provider';
import type { HeldInstance, ProviderName, ReapReport, ReapedInstance } from '../domain';

/** What a reaper run is asked: reap orphans older than graceMs, or (dryRun) only say which. */
export interface ReapOptions {
  graceMs: number;
  dryRun: boolean;
}

export interface ReaperDeps {
  providers: { get(name: ProviderName): Provider };
  /** The providers to look at now (local always; ssh with a fleet; ...). */
  providerNames: () => ProviderName[];
  /** Whether the task's workflow is open (strongly consistent: a describe, not a visibility listing). */
  isTaskOpen: (taskId: string) => Promise<boolean>;
  /** One line per orphan, to the worker log. */
  log: (message: string, fields: Record<string, unknown>) => void;
  now?: () => number;
}

/**
 * The leak reaper: what each provider holds for Flow, less what belongs to an open task or is
 * younger than the grace period, is torn down (and logged: what, where, age, why). A held thing
 * whose task is open is never touched, whatever its age; a provider that cannot be listed is
 * reported in `skipped` and the others are still reaped.
 */
export async function reapOrphans(deps: ReaperDeps, options: ReapOptions): Promise<ReapReport> {
  const now = deps.now ?? Date.now;
  const report: ReapReport = { dryRun: options.dryRun, graceMs: options.graceMs, reaped: [], kept: 0, skipped: [] };
  const open = new Map<string, Promise<boolean>>();
  const isOpen = (taskId: string) => {
    let answer = open.get(taskId);
    if (answer === undefined) open.set(taskId, (answer = deps.isTaskOpen(taskId)));
    return answer;
  };
  for (const name of deps.providerNames()) {
    let provider: Provider;
    let held: HeldInstance[];
    try {
      provider = deps.providers.get(name);
      if (!holdsInstances(provider)) continue;
      held = await provider.listHeld();
    } catch (error) {
      report.skipped.push({ provider: name, error: error instanceof Error ? error.message : String(error) });
      deps.log(`reaper: could not list what provider ${name} holds: ${String(error)}`, { provider: name });
      continue;
    }
    for (const item of held) {
      const ageMs = now() - Date.parse(item.createdAt);
      // An unreadable time counts as young: never reap what we cannot date.
      if (!(ageMs >= options.graceMs) || (await isOpen(item.taskId))) {
        report.kept += 1;
        continue;
      }
      const reason = item.finished ? `finished instance of closed task ${item.taskId}: only its folder was left` : `no open workflow for task ${item.taskId}`;
      const reaped: ReapedInstance = { ...item, ageMs, reason };
      if (!options.dryRun) {
        try {
          if (holdsInstances(provider)) await provider.reapHeld(item);
        } catch (error) {
          reaped.error = error instanceof Error ? error.message : String(error);
        }
      }
      report.reaped.push(reaped);
      const verb = options.dryRun ? 'would reap' : reaped.error ? 'could not reap' : 'reaped';
      // One line says it all (what, where, age, why), so a grep of the worker log finds it.
      deps.log(`reaper: ${verb} ${item.provider} ${item.instanceId} at ${item.where}, ${Math.round(ageMs / 1000)}s old: ${reason}${reaped.error ? `: ${reaped.error}` : ''}`, {
        provider: item.provider,
        instanceId: item.instanceId,
      });
    }
  }
  return report;
}
