/**
 * The high-spend gate of the Python CLI 3.28: a run that would cost more than $20/h asks first
 * (on a terminal), and without a terminal runs only with -y. The price comes from the plan.
 */
import type { TaskPlan } from '../client/plan';
import { ValidationError } from '../domain/errors';
import { confirm } from './confirm';

export const CONFIRM_ABOVE_PER_HOUR = 20;

/** What the task would pay per hour for all its nodes: the offer now, else (while it would wait) its cap. */
export function planPerHour(plan: TaskPlan): number | undefined {
  if (plan.totalPerHour !== undefined) return plan.totalPerHour;
  return plan.maxPricePerHour === undefined ? undefined : plan.maxPricePerHour * plan.numInstances;
}

/** "$50.00/h (2 × cpu at $25.00/h)" or "up to $50.00/h (2 × up to $25.00/h)". */
export function spendText(plan: TaskPlan): string {
  const total = planPerHour(plan) ?? 0;
  if (plan.pricePerHour !== undefined) return `$${total.toFixed(2)}/h (${plan.numInstances} × ${plan.instanceType} at $${plan.pricePerHour.toFixed(2)}/h)`;
  return `up to $${total.toFixed(2)}/h (${plan.numInstances} × up to $${(plan.maxPricePerHour ?? 0).toFixed(2)}/h)`;
}

/** True to go on; false when the person at the terminal says no. Throws (nothing submitted) without a terminal and -y. */
export async function confirmSpend(plan: TaskPlan, yes: boolean | undefined): Promise<boolean> {
  const perHour = planPerHour(plan);
  if (yes || perHour === undefined || perHour <= CONFIRM_ABOVE_PER_HOUR) return true;
  if (!process.stdin.isTTY) {
    throw new ValidationError(`This run would cost ${spendText(plan)}, above $${CONFIRM_ABOVE_PER_HOUR}/h, and needs confirmation; nothing was submitted`, {
      field: 'yes',
      suggestions: ['Pass -y (--yes) to run it anyway', 'See the plan with --dry-run (-d)', 'Cap the price with -m USD per instance-hour'],
    });
  }
  return confirm(`Run at ${spendText(plan)}?`, false);
}
