import type { Command } from 'commander';
import { ValidationError } from '../../domain/errors';
import type { VolumeInfo } from '../../domain/volume-info';
import { EXIT, action } from '../exit-codes';
import { age, colors, printJson, table } from '../output';

// Volumes are a provider concern: the worker holds the provider, so each action goes through the
// backend (the daemon's API, or Temporal). Loaded inside the actions: `flow --help` does not pay for it.

type Volumes = import('../../client/volumes').Volumes;
type TaskBackend = import('../backend').TaskBackend;
type ProviderOperations = import('../../client/provider-ops').ProviderOperations;

/**
 * Runs `use` with the configured provider's volumes, then closes the backend. The backend (and
 * the daemon, if it must start) is opened on the first operation: a refusal before it costs nothing.
 */
async function withVolumes<T>(use: (volumes: Volumes, encryptByDefault: boolean) => Promise<T>): Promise<T> {
  const [{ loadSettings }, { Volumes }, { openBackend }] = await Promise.all([import('../../config/load-config'), import('../../client/volumes'), import('../backend')]);
  const settings = loadSettings();
  let backend: TaskBackend | undefined;
  const operations: ProviderOperations = {
    run: async (request) => {
      backend ??= await openBackend();
      return backend.providers.run(request);
    },
  };
  try {
    return await use(new Volumes(settings, operations), settings.local.encryptVolumes);
  } finally {
    await backend?.close();
  }
}

export function configureVolumesCommand(program: Command): void {
  const volumes = program
    .command('volumes')
    .description('List, create and delete volumes: storage that outlives tasks (flow run -v NAME)')
    .addHelpText(
      'after',
      `
Examples:
  flow volumes list
  flow volumes create datasets --size 100
  flow volumes create secrets --encrypted   # only ciphertext rests on disk (gocryptfs)
  flow run "python prep.py" -v datasets     # mounted at /volumes/datasets
  flow volumes delete datasets --yes`,
    );

  volumes
    .command('list')
    .alias('ls')
    .description('Show every volume: size, space used, and the running tasks using it')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', '\nExamples:\n  flow volumes list\n  flow volumes list --json')
    .action(action(listAction));

  volumes
    .command('create')
    .description('Create an empty volume')
    .argument('<name>', '3 to 64 lower-case letters, digits and dashes, e.g. datasets')
    .option('--size <gb>', 'quota in GB, 1 to 15000', '1')
    .option('--encrypted', 'encrypt it at rest with gocryptfs (default: the local.encrypt_volumes setting, FLOW_ENCRYPT_VOLUMES)')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', '\nExamples:\n  flow volumes create datasets --size 100\n  flow volumes create secrets --encrypted\n  flow volumes create checkpoints --json')
    .action(action(createAction));

  volumes
    .command('delete')
    .alias('rm')
    .description('Delete a volume and all its data (refused while a running task uses it)')
    .argument('<name>', 'volume name')
    .option('-y, --yes', 'do not ask for confirmation (needed when stdin is not a terminal)')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', '\nExamples:\n  flow volumes delete datasets          # asks y/N on a terminal\n  flow volumes delete datasets --yes    # scripts and CI')
    .action(action(deleteAction));
}

/** "10", "10G", "10gb" → 10; anything else is a ValidationError naming sizeGb. */
export function parseSizeGb(text: string): number {
  const match = /^\s*(\d+)\s*(?:g|gb|gib)?\s*$/i.exec(text);
  if (!match) {
    throw new ValidationError(`sizeGb: '${text}' is not a size in GB`, {
      field: 'sizeGb',
      suggestions: ['Give a whole number of GB from 1 to 15000, e.g. --size 10'],
    });
  }
  return Number(match[1]);
}

/** 1234567 → "1.2 MB" (decimal units, like the GB quota). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

function usedText(volume: VolumeInfo): string {
  return `${formatBytes(volume.usedBytes)}${volume.usedBytesPartial ? '+' : ''}`;
}

async function listAction(flags: { json?: boolean }): Promise<void> {
  const list = await withVolumes((volumes) => volumes.list());
  if (flags.json) return printJson(list);
  if (list.length === 0) {
    process.stdout.write('No volumes yet. Create one with: flow volumes create NAME --size 10\n');
    return;
  }
  const c = colors(process.stdout);
  const rows = list.map((v) => [v.name, `${v.sizeGb} GB`, usedText(v), v.encrypted ? 'yes' : '-', v.attachedTo.length > 0 ? v.attachedTo.join(',') : '-', `${age(new Date(v.createdAt))} ago`]);
  process.stdout.write(`${table(['NAME', 'SIZE', 'USED', 'ENCRYPTED', 'ATTACHED-TO', 'CREATED'], rows, (cell, column) => (column === 4 && cell !== '-' ? c.green(cell) : cell))}\n`);
  // gocryptfs adds headers and padding, so an encrypted volume's usage is of its ciphertext.
  if (list.some((v) => v.encrypted)) process.stdout.write('USED of an encrypted volume is the size of its ciphertext.\n');
}

async function createAction(name: string, flags: { size: string; encrypted?: boolean; json?: boolean }): Promise<void> {
  const sizeGb = parseSizeGb(flags.size);
  const volume = await withVolumes((volumes, encryptByDefault) => volumes.create({ name, sizeGb, encrypted: flags.encrypted ?? encryptByDefault }));
  if (flags.json) return printJson(volume);
  process.stdout.write(`Created ${volume.encrypted ? 'encrypted ' : ''}volume ${volume.name} (${volume.sizeGb} GB) at ${volume.path}\n`);
  process.stderr.write(`Use it with: flow run "COMMAND" -v ${volume.name}   (mounted at /volumes/${volume.name})\n`);
}

async function deleteAction(name: string, flags: { yes?: boolean; json?: boolean }): Promise<number | void> {
  // Fails early, before any question: missing (exit 3) or in use by a running task (exit 2).
  const volume = await withVolumes((volumes) => volumes.get(name));
  if (volume.attachedTo.length > 0) throw (await import('../../domain/volume-errors')).volumeInUseError(name, volume.attachedTo);
  if (!flags.yes) {
    if (!process.stdin.isTTY) {
      throw new ValidationError(`Deleting volume '${name}' removes its data (${usedText(volume)}); confirm with --yes`, {
        field: 'yes',
        suggestions: [`Run: flow volumes delete ${name} --yes`],
      });
    }
    const answer = await ask(`Delete volume '${name}' and its ${usedText(volume)} of data? This cannot be undone. [y/N] `);
    if (answer === 'interrupted') return EXIT.interrupted;
    if (answer !== 'yes') {
      process.stderr.write(`Kept volume ${name}.\n`);
      return EXIT.failure;
    }
  }
  await withVolumes((volumes) => volumes.delete(name));
  if (flags.json) return printJson({ name, deleted: true });
  process.stdout.write(`Deleted volume ${name}\n`);
}

/** Asks y/N on the terminal (the prompt goes to stderr, so stdout stays clean). */
async function ask(question: string): Promise<'yes' | 'no' | 'interrupted'> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => {
    let settled = false;
    const settle = (answer: 'yes' | 'no' | 'interrupted') => {
      if (settled) return;
      settled = true;
      rl.close();
      resolve(answer);
    };
    rl.on('SIGINT', () => {
      process.stderr.write('\n');
      settle('interrupted');
    });
    rl.on('close', () => settle('no')); // Ctrl-D
    rl.question(question, (reply) => settle(/^\s*y(es)?\s*$/i.test(reply) ? 'yes' : 'no'));
  });
}
