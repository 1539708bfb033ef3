/**
 * `npm run build`, after tsc: bundles the CLI (dist/src/cli/main.js and everything it may load)
 * into one file, dist/src/cli/flow-cli.bundle.js, which bin/flow.js runs. One file instead of
 * ~200 saves a fresh `flow run`/`flow logs` the resolution, reading and compiling of each module,
 * and lets bin/flow.js keep V8's code cache for all of it in one piece (src/cli/bundle-loader).
 *
 * The bundle keeps the modules' laziness (each is initialised on its first require, as before).
 * Packages with native parts or heavy SDKs (Temporal, ssh2, pg) stay outside, loaded from
 * node_modules as before. A module that finds files next to itself (__dirname, require.resolve)
 * gets its own folder under dist/src, so the daemon, worker and invoke runner it starts are the
 * tsc output, unchanged.
 */
import { build, type Plugin } from 'esbuild';
import { createHash } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';

const REPO = resolve(__dirname, '..', '..');
const DIST_SRC = join(REPO, 'dist', 'src');
export const CLI_BUNDLE = join(DIST_SRC, 'cli', 'flow-cli.bundle.js');

/** Pure JavaScript packages worth inlining; every other package is required from node_modules at run time. */
const INLINED_PACKAGES = new Set(['commander', 'zod', 'yaml', 'smol-toml', 'ignore', 'picocolors']);

const packageName = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

const externalPackages: Plugin = {
  name: 'external-packages',
  setup(on) {
    // Bare specifiers (not ./, ../ or absolute; node: built-ins are external anyway).
    on.onResolve({ filter: /^[^./]/ }, (args) => (INLINED_PACKAGES.has(packageName(args.path)) ? undefined : { path: args.path, external: true }));
  },
};

/** `__dirname` and `require.resolve('./x')` of a dist/src module, as seen from the bundle's folder. */
const ownFolders: Plugin = {
  name: 'own-folders',
  setup(on) {
    on.onLoad({ filter: /[\\/]dist[\\/]src[\\/].*\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('__dirname') && !source.includes('require.resolve(')) return undefined;
      const folder = JSON.stringify(relative(dirname(CLI_BUNDLE), dirname(args.path)) || '.');
      const here = `require("node:path").join(__dirname, ${folder})`;
      const contents = source
        .replace(/\b__dirname\b/g, here)
        .replace(/require\.resolve\((['"])(\.{1,2}\/[^'"]*)\1\)/g, (_match, _quote, path: string) => `require.resolve(require("node:path").join(${here}, ${JSON.stringify(path)}))`);
      return { contents, loader: 'js' };
    });
  },
};

/**
 * zod's index of ~50 locales, of which Flow's messages use English only (zod's default, which its
 * schemas load directly): `z.locales` in the CLI offers `en` alone. A fifth of zod's size.
 */
const englishOnlyZod: Plugin = {
  name: 'english-only-zod',
  setup(on) {
    on.onResolve({ filter: /^\.\.\/locales\/index\.cjs$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: join(args.resolveDir, '..', 'locales', 'index.cjs'), namespace: 'zod-english' } : undefined,
    );
    on.onLoad({ filter: /.*/, namespace: 'zod-english' }, (args) => ({
      contents: 'Object.defineProperty(exports, "__esModule", { value: true });\nexports.en = require("./en.cjs").default;\n',
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * commander requires node:child_process when it loads, for executable subcommands, which Flow has
 * none of: ~8 ms of every CLI start here. In the bundle that require happens on first use.
 */
const LAZY_CHILD_PROCESS = "const childProcess = require('node:child_process');";
const lazyCommanderChildProcess: Plugin = {
  name: 'lazy-commander-child-process',
  setup(on) {
    on.onLoad({ filter: /[\\/]node_modules[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes(LAZY_CHILD_PROCESS)) throw new Error(`${args.path}: commander no longer requires node:child_process as expected; update build-cli-bundle`);
      const lazy = "const childProcess = { spawn: (...spawnArgs) => require('node:child_process').spawn(...spawnArgs) };";
      return { contents: source.replace(LAZY_CHILD_PROCESS, lazy), loader: 'js' };
    });
  },
};

/**
 * Barrels (index modules of `export * from './x'`) whose parts load on first use. tsc's output of
 * src/domain/index requires all its parts at once, so any `import { ValidationError } from
 * '../domain'` loaded task-config and with it zod and the construction of every schema (tens of
 * ms of a `flow run`). Here each name the barrel exports is a getter that requires its part when
 * read; tsc's callers read `domain_1.name` at each use, so a part is loaded only if used.
 */
const LAZY_BARRELS = [join(DIST_SRC, 'domain', 'index.js')];

/** The lazy barrel's source for a tsc barrel: names found by loading its parts here, at build time. */
export function lazyBarrelSource(file: string, source: string): string {
  const parts: Array<{ specifier: string; names: string[] }> = [];
  const taken = new Set<string>();
  const named = new Map<string, string>(); // binding variable → specifier
  const lines = source.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('//# sourceMappingURL'));
  const body = lines.slice(lines.findIndex((line) => line.startsWith('Object.defineProperty(exports, "__esModule"')) + 1);
  const explicitNames = new Set([...source.matchAll(/Object\.defineProperty\(exports, "(\w+)", \{ enumerable: true, get: function \(\) \{ return \w+\.(\w+); \} \}\)/g)].map((match) => match[1]!));
  for (const line of body) {
    let match: RegExpExecArray | null;
    if ((match = /^__exportStar\(require\("(\.[^"]+)"\), exports\);$/.exec(line))) {
      const exported = Object.keys(require(join(dirname(file), match[1]!))).filter((name) => name !== 'default' && name !== '__esModule' && !taken.has(name) && !explicitNames.has(name));
      exported.forEach((name) => taken.add(name));
      parts.push({ specifier: match[1]!, names: exported });
    } else if ((match = /^var (\w+) = require\("(\.[^"]+)"\);$/.exec(line))) {
      named.set(match[1]!, match[2]!);
    } else if ((match = /^Object\.defineProperty\(exports, "(\w+)", \{ enumerable: true, get: function \(\) \{ return (\w+)\.(\w+); \} \}\);$/.exec(line)) && match[1] === match[3] && named.has(match[2]!)) {
      taken.add(match[1]!);
      parts.push({ specifier: named.get(match[2]!)!, names: [match[1]!] });
    } else if (!/^exports\.[\w.= ]+ void 0;$/.test(line)) {
      throw new Error(`${file}: cannot make this barrel lazy: unexpected line ${JSON.stringify(line)}`);
    }
  }
  const out = ['"use strict";', 'Object.defineProperty(exports, "__esModule", { value: true });'];
  out.push('function lazyPart(load, names) { let part; for (const name of names) Object.defineProperty(exports, name, { enumerable: true, get: () => (part ??= load())[name] }); }');
  for (const part of parts) out.push(`lazyPart(() => require(${JSON.stringify(part.specifier)}), ${JSON.stringify(part.names)});`);
  return `${out.join('\n')}\n`;
}

const lazyBarrels: Plugin = {
  name: 'lazy-barrels',
  setup(on) {
    on.onLoad({ filter: /[\\/]index\.js$/ }, async (args) => {
      if (!LAZY_BARRELS.includes(args.path)) return undefined;
      return { contents: lazyBarrelSource(args.path, await readFile(args.path, 'utf8')), loader: 'js' };
    });
  },
};

export async function buildCliBundle(): Promise<void> {
  await build({
    entryPoints: [join(DIST_SRC, 'cli', 'main.js')],
    outfile: CLI_BUNDLE,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    plugins: [externalPackages, lazyBarrels, ownFolders, englishOnlyZod, lazyCommanderChildProcess],
    // Smaller to read at each start; names are kept, so stack traces still name functions.
    minifyWhitespace: true,
    minifySyntax: true,
    charset: 'ascii',
    logLevel: 'warning',
  });
  // bin/flow.js reads the bundle as latin1 (a one-byte string, much faster than decoding UTF-8):
  // that is exact only while every byte is ASCII, which esbuild's ascii charset keeps for code.
  const bytes = await readFile(CLI_BUNDLE);
  const offset = bytes.findIndex((byte) => byte > 0x7f);
  if (offset >= 0) throw new Error(`${CLI_BUNDLE} has a non-ASCII byte at offset ${offset} (${JSON.stringify(bytes.subarray(Math.max(0, offset - 40), offset + 40).toString('utf8'))}); bin/flow.js reads it as latin1`);
  // Its content's hash, for the code cache's key (V8 itself checks only the source's length).
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 32);
  await appendFile(CLI_BUNDLE, `//# flowBundleHash=${hash}\n`);
}

if (require.main === module) {
  buildCliBundle().catch((error) => {
    process.stderr.write(`bundling the CLI failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
