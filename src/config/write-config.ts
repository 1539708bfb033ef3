// Writes $FLOW_HOME/config.yaml for `flow setup`: merges new values into the file, keeps the rest.
import { chmodSync, closeSync, copyFileSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Document } from 'yaml';
import { ValidationError } from '../domain/errors';

/** The values `flow setup` sets; undefined leaves what the file has. */
export interface ConfigUpdate {
  provider?: string;
  mithril?: {
    apiKey?: string;
    project?: string;
    region?: string;
    apiUrl?: string;
    sshKeys?: string[];
  };
}

export interface WriteConfigResult {
  configFile: string;
  /** Where an unreadable old file was copied before being replaced. */
  backupFile?: string;
  /** The file's new text (what a dry run would have written). */
  text: string;
}

/** Owner-only: config.yaml may hold API keys. */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

function loadYaml(): typeof import('yaml') {
  // Lazy, as in parse-yaml.ts: keeps CLI start-up fast.
  return require('yaml') as typeof import('yaml');
}

function camelKey(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** The existing file as an editable YAML document (comments kept); `unreadable` when it is not a YAML mapping. */
function readDocument(configFile: string): { document: Document; unreadable: boolean } {
  const yaml = loadYaml();
  let text: string;
  try {
    text = readFileSync(configFile, 'utf8');
  } catch {
    return { document: new yaml.Document({}), unreadable: false };
  }
  const document = yaml.parseDocument(text);
  if (document.errors.length > 0) return { document: new yaml.Document({}), unreadable: true };
  if (document.contents === null) return { document: new yaml.Document({}), unreadable: false };
  if (!yaml.isMap(document.contents)) return { document: new yaml.Document({}), unreadable: true };
  return { document, unreadable: false };
}

/** Removes the spellings of `name` (`api_url` and `apiUrl` read the same) from a mapping, except `keep`. */
function deleteSpellings(document: Document, path: string[], name: string, keep?: string): void {
  const yaml = loadYaml();
  const map = path.length === 0 ? document.contents : document.getIn(path, true);
  if (!yaml.isMap(map)) return;
  for (const pair of [...map.items]) {
    const key = yaml.isScalar(pair.key) ? pair.key.value : pair.key;
    if (typeof key !== 'string' || key === keep || camelKey(key) !== name) continue;
    // A comment above the removed key (often the file's header) moves to the key after it.
    const index = map.items.indexOf(pair);
    const next = map.items[index + 1]?.key;
    if (yaml.isScalar(pair.key) && pair.key.commentBefore && yaml.isScalar(next)) {
      next.commentBefore = [pair.key.commentBefore, next.commentBefore].filter(Boolean).join('\n');
    }
    map.items.splice(index, 1);
  }
}

/** Sets `name` in place when the file has that spelling (keeps the key order), else adds it. */
function setValue(document: Document, path: string[], name: string, value: unknown): void {
  deleteSpellings(document, path, name, name);
  document.setIn([...path, name], value);
}

/** Applies an update in Flow's camelCase shape; Python-shape spellings of the same keys are replaced. */
export function applyUpdate(document: Document, update: ConfigUpdate): void {
  const yaml = loadYaml();
  if (update.provider !== undefined) setValue(document, [], 'provider', update.provider);
  const mithril = Object.entries(update.mithril ?? {}).filter(([, value]) => value !== undefined);
  if (mithril.length === 0) return;
  // `mithril:` with no value (or a non-mapping) would make setIn fail: start a fresh section.
  if (!yaml.isMap(document.get('mithril', true))) setValue(document, [], 'mithril', document.createNode({}));
  for (const [name, value] of mithril) setValue(document, ['mithril'], name, value);
  if (update.mithril?.apiKey !== undefined) {
    // The Python SDK keeps the key at the top level; two different keys would make the file invalid.
    deleteSpellings(document, [], 'apiKey');
  }
}

function writePrivateFile(path: string, text: string): void {
  const fd = openSync(path, 'wx', FILE_MODE);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, FILE_MODE); // a umask can only narrow the mode; be exact anyway
}

/**
 * Merges `update` into config.yaml and replaces it atomically (temp file + rename), mode 0600.
 * `check` gets a Flow home holding the new file before it replaces the old one; when it throws,
 * nothing is written. An unreadable old file is copied to config.yaml.bak and replaced.
 * `dryRun` checks the new text the same way and returns it without replacing anything.
 */
export function writeConfig(
  configFile: string,
  update: ConfigUpdate,
  check: (candidateHome: string) => void = () => {},
  options: { dryRun?: boolean } = {},
): WriteConfigResult {
  const home = dirname(configFile);
  // A dry run leaves no trace in the Flow home, not even the folder.
  if (!options.dryRun) mkdirSync(home, { recursive: true, mode: DIR_MODE });
  const { document, unreadable } = readDocument(configFile);
  applyUpdate(document, update);

  const candidateHome = mkdtempSync(join(options.dryRun ? tmpdir() : home, '.init-'));
  try {
    const candidate = join(candidateHome, 'config.yaml');
    const text = String(document);
    writePrivateFile(candidate, text);
    check(candidateHome);
    if (options.dryRun) return { configFile, text };
    let backupFile: string | undefined;
    if (unreadable) {
      backupFile = `${configFile}.bak`;
      copyFileSync(configFile, backupFile);
      chmodSync(backupFile, FILE_MODE);
    }
    // The rename replaces the old file, so a looser mode it had does not survive.
    renameSync(candidate, configFile);
    return { configFile, backupFile, text };
  } finally {
    rmSync(candidateHome, { recursive: true, force: true });
  }
}

/**
 * Edits config.yaml as a YAML document (comments and other keys kept) and replaces it atomically,
 * mode 0600. `edit` returns false when it changed nothing (then nothing is written). An
 * unreadable file is refused rather than replaced: the user's other settings are in it.
 */
export function editConfigDocument(configFile: string, edit: (document: Document) => boolean | void): void {
  const { document, unreadable } = readDocument(configFile);
  if (unreadable) {
    throw new ValidationError(`${configFile} is not a readable YAML mapping; Flow will not overwrite it`, { suggestions: [`Fix ${configFile} by hand, or move it away and run: flow setup`] });
  }
  if (edit(document) === false) return;
  const home = dirname(configFile);
  mkdirSync(home, { recursive: true, mode: DIR_MODE });
  const candidateHome = mkdtempSync(join(home, '.edit-'));
  try {
    const candidate = join(candidateHome, 'config.yaml');
    writePrivateFile(candidate, String(document));
    renameSync(candidate, configFile);
  } finally {
    rmSync(candidateHome, { recursive: true, force: true });
  }
}
