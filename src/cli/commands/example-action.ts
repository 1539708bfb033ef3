// The body of `flow example`: list the examples, print one's task YAML, or run it as `flow run FILE` does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closestNames, ResourceNotFoundError } from '../../domain';
import { EXIT } from '../exit-codes';
import { colors, printJson } from '../output';
import { EXAMPLE_NAMES, EXAMPLES, exampleYaml, showHeader } from '../examples/catalog';
import type { RunCommandFlags } from './run-action';

export interface ExampleFlags {
  show?: boolean;
  yes?: boolean;
  json?: boolean;
}

function listExamples(json: boolean | undefined): void {
  if (json) {
    printJson(EXAMPLE_NAMES.map((name) => ({ name, summary: EXAMPLES[name]!.summary, run: `flow example ${name}` })));
    return;
  }
  const c = colors(process.stdout);
  const width = Math.max(...EXAMPLE_NAMES.map((name) => name.length));
  const rows = EXAMPLE_NAMES.map((name) => `  ${c.bold(name.padEnd(width))}  ${EXAMPLES[name]!.summary}`);
  process.stdout.write(
    `Examples (ready-to-run tasks):\n${rows.join('\n')}\n\n` +
      `Run one:       flow example ${EXAMPLE_NAMES[0]}\n` +
      `See its task:  flow example ${EXAMPLE_NAMES[0]} --show > task.yaml\n`,
  );
}

function checkName(name: string): void {
  if (name in EXAMPLES) return;
  const near = closestNames(name, EXAMPLE_NAMES);
  throw new ResourceNotFoundError(`Unknown example: ${name}`, [
    ...(near.length > 0 ? [`Did you mean '${near[0]}'?`] : []),
    `Available: ${EXAMPLE_NAMES.join(', ')}`,
  ]);
}

/**
 * Runs the example through `flow run`'s own code, from a task file in a temporary folder: the
 * same checks, progress, logs and exit code as `flow run task.yaml`.
 */
async function runExample(name: string, flags: ExampleFlags): Promise<number> {
  const folder = mkdtempSync(join(tmpdir(), 'flow-example-'));
  const removeFolder = () => rmSync(folder, { recursive: true, force: true });
  // Ctrl-C detaches through process.exit, which skips `finally`.
  process.once('exit', removeFolder);
  try {
    const file = join(folder, `${name}.yaml`);
    writeFileSync(file, exampleYaml(name, { uniqueName: true }));
    const { runAction } = await import('./run-action');
    // Only what an example needs: flow run's defaults otherwise.
    const runFlags: RunCommandFlags = { env: [], secret: [], volume: [], mount: [], port: [], sshKeys: [], json: flags.json, yes: flags.yes };
    return await runAction(file, [], runFlags);
  } finally {
    removeFolder();
    process.removeListener('exit', removeFolder);
  }
}

export async function exampleAction(name: string | undefined, flags: ExampleFlags): Promise<number> {
  if (name === undefined) {
    listExamples(flags.json);
    return EXIT.ok;
  }
  checkName(name);
  if (!flags.show) return runExample(name, flags);
  // Only YAML on stdout, so it pipes into a file or a parser.
  process.stdout.write(showHeader(name) + exampleYaml(name, { uniqueName: false }));
  return EXIT.ok;
}
