// Build step: bundles the workflow code once so workers start without webpack.
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_PATH, workflowBundlePrelude } from './workflow-bundle';

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    // The same failure converter as workers and clients (messages travel encoded, so encrypted).
    failureConverterPath: require.resolve('../security/failure-converter'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  // On the first line, so the source map's lines still match.
  writeFileSync(WORKFLOW_BUNDLE_PATH, `${workflowBundlePrelude()}${code}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
