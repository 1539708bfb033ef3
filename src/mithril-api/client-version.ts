import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/** This package's version for the User-Agent; found by walking up from this file (src/ and dist/src/ differ in depth). */
export function flowVersion(): string {
  if (cached !== undefined) return cached;
  cached = 'unknown';
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    try {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'flow-sdk' && typeof pkg.version === 'string') {
        cached = pkg.version;
        break;
      }
    } catch {
      // An unreadable package.json higher up is not ours; keep walking.
    }
  }
  return cached;
}
