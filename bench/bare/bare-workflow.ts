// The floor Flow is measured against: a workflow that runs one activity and returns.
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './bare-activities';

const { noop } = proxyActivities<typeof activities>({ startToCloseTimeout: '1m' });

export async function bareWorkflow(): Promise<string> {
  return noop();
}
