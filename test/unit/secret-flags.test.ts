import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { secretsFromFlags } from '../../src/cli/secret-flags';
import { catchValidation } from '../helpers/validation-error';

const dir = mkdtempSync(join(tmpdir(), 'flow-secret-flags-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('--secret and --secret-file', () => {
  test('--secret KEY takes the value from the environment; KEY=VALUE still works', () => {
    assert.deepEqual(secretsFromFlags(['HF_TOKEN', 'B=b-value'], [], { HF_TOKEN: 'hf_from_env' }), { HF_TOKEN: 'hf_from_env', B: 'b-value' });
  });

  test('an unset KEY is refused naming it and how to set it', () => {
    const error = catchValidation(() => secretsFromFlags(['MISSING_TOKEN'], [], {}));
    assert.equal(error.field, 'secrets.MISSING_TOKEN');
    assert.match(error.message, /MISSING_TOKEN is not set/);
    assert.match(error.suggestions.join(' '), /export MISSING_TOKEN=/);
    assert.equal(catchValidation(() => secretsFromFlags(['not a key'], [], {})).field, 'secrets');
  });

  test('--secret-file reads KEY=VALUE lines (comments, blank lines, CRLF, "=" in values); --secret wins', () => {
    const file = join(dir, 'secrets.env');
    writeFileSync(file, '# tokens\n\nA_TOKEN=a=b=c\r\nB_TOKEN= spaced \nC=from-file\n', { mode: 0o600 });
    assert.deepEqual(secretsFromFlags(['C'], [file], { C: 'from-env' }), { A_TOKEN: 'a=b=c', B_TOKEN: ' spaced ', C: 'from-env' });
  });

  test('a bad line names the file and line, never the value; a missing file names its path', () => {
    const file = join(dir, 'bad.env');
    writeFileSync(file, 'OK=1\nsecret-value-no-key\n');
    const error = catchValidation(() => secretsFromFlags([], [file], {}));
    assert.match(error.message, /bad\.env:2 must look like KEY=VALUE/);
    assert.ok(!error.message.includes('secret-value-no-key'));
    assert.match(catchValidation(() => secretsFromFlags([], [join(dir, 'none.env')], {})).message, /none\.env \(ENOENT\)/);
  });
});
