// The body of `flow gc`, loaded only when it runs (keeps `flow --help` fast).
import { parseDurationMs, type ReapReport, type ReapedInstance } from '../../domain';
import { openBackend } from '../backend';
import { colors, printJson } from '../output';

export interface GcFlags {
  dryRun?: boolean;
  grace: string;
  json?: boolean;
}

export async function gcAction(flags: GcFlags): Promise<void> {
  const graceMs = parseDurationMs(flags.grace, 'grace');
  const backend = await openBackend();
  let report: ReapReport;
  try {
    report = await backend.providers.run({ op: 'gc', graceMs, dryRun: flags.dryRun === true });
  } finally {
    await backend.close();
  }
  if (flags.json) {
    printJson(report);
    return;
  }
  process.stdout.write(gcText(report, colors(process.stdout)));
}

/** "3m 20s", "2h 5m", "12s": how old an orphan is. */
export function ageText(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
}

function line(item: ReapedInstance): string {
  const failed = item.error ? `  FAILED: ${item.error}` : '';
  return `  ${item.provider}  ${item.instanceId}  ${item.where}  age ${ageText(item.ageMs)}  (${item.reason})${failed}\n`;
}

export function gcText(report: ReapReport, c: ReturnType<typeof colors>): string {
  const verb = report.dryRun ? 'Would reap' : 'Reaped';
  const failed = report.reaped.filter((item) => item.error !== undefined).length;
  let text = report.reaped.length === 0 ? 'Nothing to reap.\n' : `${verb} ${report.reaped.length - failed}:\n${report.reaped.map(line).join('')}`;
  text += c.dim(`Kept ${report.kept} (their task runs, or younger than ${ageText(report.graceMs)}).`) + '\n';
  for (const skipped of report.skipped) text += `Could not look at provider ${skipped.provider}: ${skipped.error}\n`;
  if (report.dryRun && report.reaped.length > 0) text += c.dim('Nothing was changed (--dry-run).') + '\n';
  return text;
}
