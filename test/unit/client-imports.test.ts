import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';

/** The sources (not the compiled files): dist/test/unit → the repository root. */
const ROOT = join(__dirname, '..', '..', '..');

/**
 * Provider internals the client and CLI must not import: a remote provider's credentials and
 * connections live in the worker (issue 11). Types from providers/provider.ts and the pure
 * providers/offer-choice.ts are fine.
 */
const FORBIDDEN = /providers\/(local|ssh|mithril|registry)(\/|$)/;
const forbidden = (specifier: string) => FORBIDDEN.test(specifier);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier of a file: static imports and exports, import() and require(). */
export function importedModules(text: string): string[] {
  const specifiers: string[] = [];
  const patterns = [/\b(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) specifiers.push(match[1]!);
  return specifiers;
}

describe('the client and CLI import no provider internals', () => {
  test('the scanner sees every kind of import (it could fail)', () => {
    const text = [
      "import { a } from '../providers/local/volumes';",
      "import type { B } from '../../providers/registry';",
      "export { c } from '../providers/ssh/hosts';",
      "const d = await import('../../providers/mithril/mithril-provider');",
      "import { ok } from '../providers/provider';",
      "import { fine } from '../providers/offer-choice';",
      "import { client } from '../../mithril-api';",
      "import { keyOf } from '../../providers/mithril/instance-ssh-key';",
    ].join('\n');
    assert.deepEqual(importedModules(text).filter(forbidden), [
      '../providers/local/volumes',
      '../../providers/registry',
      '../providers/ssh/hosts',
      '../../providers/mithril/instance-ssh-key',
      '../../providers/mithril/mithril-provider',
    ]);
  });

  test('src/client/** and src/cli/** name none of providers/local, ssh, mithril or registry', () => {
    const files = ['client', 'cli'].flatMap((dir) => sourceFiles(join(ROOT, 'src', dir)));
    assert.ok(files.length > 20, `found only ${files.length} files under src/client and src/cli`);
    const offending = files.flatMap((file) =>
      importedModules(readFileSync(file, 'utf8'))
        .filter(forbidden)
        .map((specifier) => `${relative(ROOT, file)} imports ${specifier}`),
    );
    assert.deepEqual(offending, []);
  });
});
