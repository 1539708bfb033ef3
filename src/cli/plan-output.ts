// `flow run --dry-run` for a person: what the task would get now, one aligned line per fact.
import type { TaskPlan } from '../client/plan';
import { colors } from './output';
import { CONFIRM_ABOVE_PER_HOUR, planPerHour, spendText } from './spend-gate';

const usd = (value: number) => `$${value.toFixed(2)}`;

/** 0.5 → "30m", 2 → "2h", 1.25 → "1.25h", 90 s → "90s". */
export function hoursText(hours: number): string {
  const seconds = Math.round(hours * 3600);
  if (seconds < 60 || (seconds < 3600 && seconds % 60 !== 0)) return `${seconds}s`;
  if (seconds < 3600) return `${seconds / 60}m`;
  return `${Number(hours.toFixed(2))}h`;
}

/** The plan as aligned lines; never a secret's value (the plan has none). */
export function planText(plan: TaskPlan, stream: NodeJS.WriteStream): string {
  const c = colors(stream);
  const rows: Array<[string, string]> = [
    ['task', `${plan.name} (id ${plan.taskId}${plan.idSuffix ? '' : ': no random suffix'})`],
    ['command', Array.isArray(plan.command) ? JSON.stringify(plan.command) : plan.command],
    ['provider', plan.provider],
    ['instance type', `${plan.instanceType ?? c.yellow('none yet')} (asked: ${plan.asked.join(', then ')})`],
    ['nodes', String(plan.numInstances)],
  ];
  if (plan.pricePerHour !== undefined) rows.push(['price', `${usd(plan.pricePerHour)}/h per instance, ${usd(plan.totalPerHour ?? 0)}/h in all`]);
  rows.push(['max price', plan.maxPricePerHour === undefined ? 'none' : `${usd(plan.maxPricePerHour)}/h per instance`]);
  rows.push(['max run time', plan.maxRunTimeHours === undefined ? 'no limit' : hoursText(plan.maxRunTimeHours)]);
  if (plan.maxTotalCostUsd !== undefined) rows.push(['max total cost', usd(plan.maxTotalCostUsd)]);
  if (plan.worstCaseCostUsd !== undefined) rows.push(['worst case', usd(plan.worstCaseCostUsd)]);
  if (plan.region !== undefined) rows.push(['region', plan.region]);
  if (plan.image !== undefined) rows.push(['image', plan.image]);
  if (plan.workingDir !== undefined) rows.push(['working dir', plan.workingDir]);
  if (plan.codeRoot !== undefined) rows.push(['code root', plan.codeRoot]);
  if (!plan.uploadCode) rows.push(['upload code', 'no']);
  if (plan.sshKeys.length > 0) rows.push(['ssh keys', plan.sshKeys.join(', ')]);
  if (plan.priority !== 'med') rows.push(['priority', plan.priority]);
  rows.push(['volumes', plan.volumes.map((v) => `${v.name} at ${v.mountPath}`).join(', ') || 'none']);
  rows.push(['ports', plan.ports.join(', ') || 'none']);
  rows.push(['env', plan.envKeys.join(', ') || 'none']);
  if (plan.secretKeys.length > 0) rows.push(['secrets', `${plan.secretKeys.join(', ')} (values hidden)`]);
  if (plan.idempotencyKey !== undefined) rows.push(['idempotency key', plan.idempotencyKey]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = [c.bold('Dry run: nothing was submitted.'), ...rows.map(([label, value]) => `  ${c.dim(label.padEnd(width))}  ${value}`)];
  if (plan.waiting !== undefined) {
    lines.push(c.yellow(`It would wait: ${plan.waiting}`));
    for (const suggestion of plan.suggestions) lines.push(`  ${c.dim('→')} ${suggestion}`);
  }
  const perHour = planPerHour(plan);
  if (perHour !== undefined && perHour > CONFIRM_ABOVE_PER_HOUR) lines.push(c.yellow(`A run at ${spendText(plan)} asks for confirmation (above $${CONFIRM_ABOVE_PER_HOUR}/h); -y skips it.`));
  for (const warning of plan.warnings) lines.push(`${c.yellow('Warning:')} ${warning}`);
  return `${lines.join('\n')}\n`;
}
