/**
 * How bin/flow.js starts the CLI: from the one-file bundle `npm run build` writes
 * (scripts/build-cli-bundle), compiled with V8's code cache kept in $FLOW_HOME/cache. Node 20
 * has no module.enableCompileCache; without a cache, compiling the CLI's code (zod's above all)
 * was most of a quick command's own time. This module loads only Node built-ins.
 *
 * The cache is per command (`cli-run.v8`, ...: each holds what that command compiled), written
 * after a command that exited 0 when there was none or V8 refused it. Its first line names the
 * bundle (content hash, size, mtime), Node and the CPU: V8 itself checks only the source's
 * length, so a rebuilt bundle of the same length must not take an old cache. Written only into an existing FLOW_HOME,
 * private (0700 folder, 0600 file), and replaced atomically (a concurrent CLI reads old or new).
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync, type Stats } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Script } from 'node:vm';

export const BUNDLE_FILE = join(__dirname, 'flow-cli.bundle.js');
const UNBUNDLED_MAIN = join(__dirname, 'main.js');

/** The cache file for this command line's command (`cli-flow.v8` when the first word is not a command name). */
export function codeCachePath(home: string, argv: readonly string[]): string {
  const command = argv[2] !== undefined && /^[a-z][a-z-]{0,30}$/.test(argv[2]) ? argv[2] : 'flow';
  return join(home, 'cache', `cli-${command}.v8`);
}

/**
 * What a cache must have been made from: this bundle (by the content hash the build appends to
 * it, its size and mtime), this Node, this CPU.
 */
export function codeCacheKey(bundle: { size: number; mtimeMs: number }, source: string): string {
  const hash = /flowBundleHash=([0-9a-f]+)\s*$/.exec(source.slice(-100))?.[1] ?? 'none';
  return `flow-cli ${hash} ${bundle.size} ${Math.trunc(bundle.mtimeMs)} ${process.version} ${process.arch}\n`;
}

/** The V8 data in `file` when its first line is `key`; undefined when absent or made from something else. */
export function readCodeCache(file: string, key: string): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return undefined;
  }
  const header = Buffer.from(key);
  return data.length > header.length && data.subarray(0, header.length).equals(header) ? data.subarray(header.length) : undefined;
}

/** Writes `key` and `data` to `file` atomically, in a private folder; only when FLOW_HOME exists. A failure costs only the cache. */
export function writeCodeCache(home: string, file: string, key: string, data: Buffer): void {
  try {
    if (!statSync(home).isDirectory()) return;
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, Buffer.concat([Buffer.from(key), data]), { mode: 0o600 });
    renameSync(partial, file);
  } catch {
    // No cache this time (read-only home, full disk): the next start compiles again.
  }
}

/** True when the bundle is missing or older than the tsc output (`npx tsc` alone after a build): run the modules then. */
function bundleIsStale(bundle: { mtimeMs: number }): boolean {
  try {
    return statSync(UNBUNDLED_MAIN).mtimeMs > bundle.mtimeMs;
  } catch {
    return false;
  }
}

/**
 * Runs the CLI. FLOW_CLI_BUNDLE=0 runs the tsc output module by module instead (as when no
 * bundle was built): for debugging and for tests that look at which modules a command loads.
 */
export function startCli(): void {
  let bundle: Stats | undefined;
  try {
    bundle = statSync(BUNDLE_FILE);
  } catch {
    bundle = undefined;
  }
  if (process.env.FLOW_CLI_BUNDLE === '0' || !bundle || bundleIsStale(bundle)) {
    require(UNBUNDLED_MAIN);
    return;
  }
  const configured = process.env.FLOW_HOME?.trim();
  const home = configured ? resolve(configured) : join(homedir(), '.flow');
  const cacheFile = codeCachePath(home, process.argv);
  // All ASCII (the build checks): latin1 makes a one-byte string without decoding UTF-8.
  const source = readFileSync(BUNDLE_FILE, 'latin1');
  const key = codeCacheKey(bundle, source);
  const cachedData = readCodeCache(cacheFile, key);
  const script = new Script(Module.wrap(source), { filename: BUNDLE_FILE, cachedData });
  if (cachedData === undefined || script.cachedDataRejected === true) {
    // After the command: the cache then holds the functions it compiled, not only the top level.
    process.once('exit', (code) => code === 0 && writeCodeCache(home, cacheFile, key, script.createCachedData()));
  }
  const wrapper = script.runInThisContext() as (exports: object, require: NodeRequire, module: object, filename: string, dirname: string) => void;
  const bundleModule = { exports: {}, filename: BUNDLE_FILE, id: BUNDLE_FILE };
  wrapper.call(bundleModule.exports, bundleModule.exports, createRequire(BUNDLE_FILE), bundleModule, BUNDLE_FILE, dirname(BUNDLE_FILE));
}
