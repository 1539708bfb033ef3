import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import ignore from 'ignore';

// No registry is reachable here or in CI, so the image is not built (its base image cannot be
// pulled). Instead: what the build stage copies exists and is in the build context, and the
// runtime stage copies exactly what `npm pack` ships.
const ROOT = join(__dirname, '..', '..', '..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

interface Copy {
  from?: string;
  sources: string[];
  dest: string;
}

function copies(): Copy[] {
  return dockerfile
    .split('\n')
    .filter((line) => /^COPY\s/.test(line))
    .map((line) => {
      const words = line.trim().split(/\s+/).slice(1);
      const from = words[0]?.startsWith('--from=') ? words.shift()!.slice('--from='.length) : undefined;
      return { from, sources: words.slice(0, -1), dest: words[words.length - 1]! };
    });
}

describe('Dockerfile', () => {
  test('two stages; the runtime runs as a non-root user with the flow CLI as entry point', () => {
    assert.deepEqual([...dockerfile.matchAll(/^FROM \S+ AS (\w+)$/gm)].map((match) => match[1]), ['build', 'runtime']);
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    assert.match(runtime, /^USER node$/m);
    assert.match(runtime, /^RUN npm ci --omit=dev/m);
    assert.match(runtime, /^ENTRYPOINT \["node", "\/app\/bin\/flow.js"\]$/m);
    assert.match(runtime, /^CMD \["worker"\]$/m);
    const instructions = dockerfile.split('\n').filter((line) => !line.startsWith('#')).join('\n');
    assert.doesNotMatch(instructions, /ENCRYPTION_KEY|API_KEY|PASSWORD|secrets\//, 'no key or credential is baked into the image');
  });

  test('every file the build context copies exists and is not excluded by .dockerignore', () => {
    const ignored = ignore().add(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));
    const local = copies().filter((copy) => copy.from === undefined);
    assert.ok(local.length > 0);
    for (const source of local.flatMap((copy) => copy.sources)) {
      assert.ok(existsSync(join(ROOT, source)), `Dockerfile copies ${source}, which does not exist`);
      assert.ok(!ignored.ignores(source), `Dockerfile copies ${source}, which .dockerignore excludes`);
    }
    for (const kept of ['node_modules', 'dist', 'secrets/flow_encryption_key', '.env']) assert.ok(ignored.ignores(kept), `.dockerignore must exclude ${kept}`);
  });

  test("the runtime stage copies exactly package.json's files, and npm pack ships nothing else", () => {
    const fromBuild = copies().filter((copy) => copy.from === 'build').flatMap((copy) => copy.sources.map((source) => source.replace(/^\/src\//, '')));
    const files = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] }).files;
    assert.deepEqual([...fromBuild].sort(), [...files].sort());
    const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as Array<{ files: Array<{ path: string }> }>;
    const packed = pack!.files.map((file) => file.path);
    // npm always adds package.json, the README and a licence; the image has package.json from the context.
    const always = /^(package\.json|README(\.md)?|LICEN[CS]E(\.md)?)$/i;
    for (const path of packed) {
      assert.ok(always.test(path) || fromBuild.some((copied) => path === copied || path.startsWith(`${copied}/`)), `npm pack ships ${path}, which the runtime stage does not copy`);
    }
    for (const copied of fromBuild) assert.ok(packed.some((path) => path === copied || path.startsWith(`${copied}/`)), `the runtime stage copies ${copied}, which npm pack does not ship (build first)`);
  });
});
