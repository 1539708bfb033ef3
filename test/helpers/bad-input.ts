import assert from 'node:assert/strict';
import { FlowError, ValidationError } from '../../src/domain/errors';

/**
 * Bad-input cases: each ends in a typed error (a FlowError) or a value, within a deadline; never a
 * TypeError, a stack trace or minutes of work. Cases are counted so the suite can state how many.
 */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: FlowError };

let cases = 0;

/** How many cases ran in this process. */
export function badInputCaseCount(): number {
  return cases;
}

/** Runs one case; fails the test on a crash (an error that is not a FlowError) or when it takes over `limitMs`. */
export function outcomeOf(label: string, fn: () => unknown, limitMs = 10_000): Outcome {
  cases += 1;
  const start = performance.now();
  let outcome: Outcome;
  try {
    outcome = { ok: true, value: fn() };
  } catch (error) {
    if (!(error instanceof FlowError)) assert.fail(`${label}: crashed instead of a typed error: ${error instanceof Error ? error.stack : String(error)}`);
    outcome = { ok: false, error };
  }
  const ms = performance.now() - start;
  assert.ok(ms < limitMs, `${label}: took ${Math.round(ms)} ms (limit ${limitMs} ms)`);
  return outcome;
}

/** The same for an async case. */
export async function asyncOutcomeOf(label: string, fn: () => Promise<unknown>, limitMs = 10_000): Promise<Outcome> {
  cases += 1;
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no answer within ${limitMs} ms (a hang)`)), limitMs);
  });
  try {
    return { ok: true, value: await Promise.race([fn(), deadline]) };
  } catch (error) {
    if (!(error instanceof FlowError)) assert.fail(`${label}: crashed instead of a typed error: ${error instanceof Error ? error.stack : String(error)}`);
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
    assert.ok(performance.now() - start < limitMs + 500, `${label}: too slow`);
  }
}

/**
 * A refusal users can act on: a ValidationError that names a field (when `field` is given, that
 * one, or a path starting with it), says what to do, and is short (a 10 MB value is not quoted whole).
 */
export function assertRefused(label: string, outcome: Outcome, expect: { field?: string | RegExp; message?: RegExp; notIn?: string } = {}): ValidationError {
  assert.ok(!outcome.ok, `${label}: was accepted, expected a ValidationError`);
  const error = outcome.error;
  assert.ok(error instanceof ValidationError, `${label}: expected a ValidationError, got ${error.name}: ${error.message}`);
  assert.ok(error.message.length < 4000, `${label}: the message is ${error.message.length} characters long`);
  if (expect.field !== undefined) {
    const field = error.field ?? '';
    if (typeof expect.field === 'string') assert.ok(field === expect.field || field.startsWith(`${expect.field}.`), `${label}: field ${field}, expected ${expect.field}`);
    else assert.match(field, expect.field, `${label}: field`);
  }
  if (expect.message !== undefined) assert.match(error.message, expect.message, `${label}: message`);
  if (expect.notIn !== undefined) assert.ok(!error.describe().includes(expect.notIn), `${label}: the message quotes a value it must not show`);
  return error;
}

/** A small seeded generator (mulberry32): the same seed gives the same cases on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Strings that break naive code: shell metacharacters, unicode, NUL, control characters, traversal. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '$(touch /tmp/flow-pwned-x)',
  '`touch /tmp/flow-pwned-x`',
  'a; touch /tmp/flow-pwned-x',
  'a | cat /etc/passwd',
  'a && b || c',
  "it's \"quoted\" \\ back",
  'line1\nline2',
  'cr\rreturn',
  'tab\there',
  '--privileged',
  '-oProxyCommand=touch /tmp/flow-pwned-x',
  '../../../etc/passwd',
  '/../../etc',
  '~root/.ssh',
  '${HOME}',
  '%s%n%x',
  'nul\0byte',
  '\u202Eevil\u202C',
  'שלום עולם',
  '😀🎉',
  'e\u0301\u0301\u0301',
  '\uFEFFbom',
  '\u0007bell\u001b[31m',
  '\uD800',
  'x'.repeat(300),
];

/** Values of every JSON/YAML type, including ones JavaScript code trips on. */
export const ODD_VALUES: readonly unknown[] = [
  undefined,
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  2 ** 53 + 1,
  [],
  [null],
  {},
  { toString: 'x' },
  [[[[]]]],
  ...NASTY_STRINGS,
];
