/**
 * Records the event histories of real runs of every workflow kind and provider into
 * test/fixtures/histories, for the replay test (test/unit/workflow-replay.test.ts): a workflow
 * change that would break tasks already running or finished then fails CI. Run after a
 * deliberate, patched() change of workflow code to add fixtures of the new shape; never delete
 * old fixtures to make a test pass.
 *
 *   npm run build && node dist/scripts/record-histories.js --out test/fixtures/histories/v3 [--only local,ssh,mithril,pending,reaper,preempt]
 *
 * Each recording goes into a folder of its own (v1, v2, ...); the replay test replays them all.
 * Re-runnable: a group recorded again replaces its files and index entries, the others stay.
 * Each group starts its own embedded daemon in a temporary FLOW_HOME (the temporal binary, as
 * tests need); ssh starts real sshd hosts and mithril the simulator (both as root, as in CI).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { recordLocal } from './history-scenarios/local';
import { recordPending } from './history-scenarios/pending';
import { recordPreempt } from './history-scenarios/preempt';
import { recordReaper } from './history-scenarios/reaper';
import type { FixtureEntry, Recorder } from './history-scenarios/recorder';
import { recordMithril, recordSsh } from './history-scenarios/remote';

const GROUPS: Record<string, (recorder: Recorder) => Promise<void>> = { local: recordLocal, ssh: recordSsh, mithril: recordMithril, pending: recordPending, reaper: recordReaper, preempt: recordPreempt };

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
}

const outArg = argument('--out');
if (outArg === undefined) {
  console.error('usage: node dist/scripts/record-histories.js --out test/fixtures/histories/vN [--only local,ssh,mithril,pending,reaper,preempt]  (a new folder; keep the old ones)');
  process.exit(2);
}
const OUT = resolve(outArg);
const only = (argument('--only') ?? Object.keys(GROUPS).join(',')).split(',').map((group) => group.trim());
for (const group of only) {
  if (!(group in GROUPS)) {
    console.error(`--only: unknown group '${group}'; the groups are ${Object.keys(GROUPS).join(', ')}`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const indexPath = join(OUT, 'index.json');
  const previous: FixtureEntry[] = existsSync(indexPath) ? JSON.parse(readFileSync(indexPath, 'utf8')) : [];
  const recorder: Recorder = { out: OUT, scratch: mkdtempSync(join(tmpdir(), 'flow-record-scratch-')), recorded: previous };
  try {
    for (const group of only) {
      await GROUPS[group]!(recorder);
      // After each group, so a later group's failure keeps what was recorded.
      writeFileSync(indexPath, `${JSON.stringify(recorder.recorded, null, 2)}\n`);
      process.stdout.write(`${group}: recorded (${recorder.recorded.length} histories in ${OUT})\n`);
    }
  } finally {
    rmSync(recorder.scratch, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
