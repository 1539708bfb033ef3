import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { test } from 'node:test';
import { WORKFLOW_BUNDLE_PATH, WORKFLOW_STACK_TRACE_LIMIT, workflowBundlePrelude } from '../../src/worker/workflow-bundle';

/*
 * The built workflow bundle sets the sandbox's stack-trace limit in its first statement, before
 * the SDK freezes the sandbox's globals, and keeps the source map's lines (no line added).
 */

test('the workflow bundle limits sandbox stack traces from its first line, without shifting the source map', () => {
  const code = readFileSync(WORKFLOW_BUNDLE_PATH, 'utf8');
  assert.ok(code.startsWith(workflowBundlePrelude()), 'the prelude comes first');
  assert.ok(!workflowBundlePrelude().includes('\n'), 'on the first line');
  const context = vm.createContext({});
  vm.runInContext(`${workflowBundlePrelude()} function deep(n) { return n > 0 ? deep(n - 1) : new Error('x').stack.split('\\n').length - 1; }`, context);
  assert.equal(vm.runInContext('deep(20)', context), WORKFLOW_STACK_TRACE_LIMIT, 'frames kept in the sandbox');
  assert.equal(Error.stackTraceLimit, 10, 'the host keeps its own limit');
});
