import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

const REPO = realpathSync(join(__dirname, '..', '..', '..'));
const LINK_SCRIPT = join(REPO, 'scripts', 'link-flow.sh');
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

/** Runs the link step of scripts/setup.sh with FLOW_BIN_DIR and the PATH given. */
function link(binDir: string, path: string) {
  const result = spawnSync('bash', [LINK_SCRIPT], { env: { ...process.env, FLOW_BIN_DIR: binDir, PATH: path }, encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stderr: result.stderr };
}

describe('scripts/link-flow.sh (the flow command on PATH)', () => {
  const root = mkdtempSync(join(tmpdir(), 'flow-link-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  test('links bin/flow.js into a folder on PATH; `flow --version` runs through it; a rerun replaces the link', () => {
    const bin = join(root, 'on-path');
    mkdirSync(bin);
    const path = `${bin}:${process.env.PATH}`;
    // A link left by an older checkout is replaced.
    symlinkSync('/nowhere/old-checkout/bin/flow.js', join(bin, 'flow'));
    const result = link(bin, path);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(lstatSync(join(bin, 'flow')).isSymbolicLink());
    assert.equal(readlinkSync(join(bin, 'flow')), join(REPO, 'bin', 'flow.js'));
    assert.match(result.stderr, new RegExp(`flow command: ${bin}/flow -> `));

    const version = spawnSync('flow', ['--version'], { env: { ...process.env, PATH: path }, encoding: 'utf8', timeout: 30_000 });
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), VERSION);
    assert.equal(link(bin, path).code, 0, 'a second run keeps working');
  });

  test('a folder not on PATH gets the link, and the script says how to add it (exit 1: use npx flow until then)', () => {
    const bin = join(root, 'not-on-path', 'bin'); // created by the script
    const result = link(bin, process.env.PATH ?? '/usr/bin:/bin');
    assert.equal(result.code, 1, result.stderr);
    assert.equal(readlinkSync(join(bin, 'flow')), join(REPO, 'bin', 'flow.js'));
    assert.match(result.stderr, new RegExp(`export PATH="${bin}:\\$PATH"`));
    assert.match(result.stderr, /npx flow/);
  });

  test('another `flow` that is not a link to a checkout is left alone; the script says to use npx flow', () => {
    const bin = join(root, 'taken');
    mkdirSync(bin);
    writeFileSync(join(bin, 'flow'), '#!/bin/sh\necho python-flow\n', { mode: 0o755 });
    const result = link(bin, `${bin}:${process.env.PATH}`);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(readFileSync(join(bin, 'flow'), 'utf8'), '#!/bin/sh\necho python-flow\n');
    assert.match(result.stderr, /is not a link to a Flow checkout/);
    assert.match(result.stderr, /use: npx flow/);
  });
});
