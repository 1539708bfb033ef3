/**
 * Runs on the target: `node runner.js <module> <export>`. Imports the module, calls the export
 * with the JSON arguments from FLOW_INVOKE_ARGS, and prints its JSON result (or its error) on a
 * marker line for flow.invoke to read back from the task's output.
 */
import { pathToFileURL } from 'node:url';
import { ARGS_VARIABLE, ERROR_MARKER, MAX_RESULT_BYTES, RESULT_MARKER, decode, encode, type RemoteErrorInfo } from './protocol';

// A real import(), which loads ES modules and CommonJS alike: TypeScript would compile a
// plain `import()` into require() here, and require() cannot load ES modules.
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

function fail(error: RemoteErrorInfo): never {
  process.stdout.write(`\n${ERROR_MARKER} ${encode(error)}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const [modulePath, exportName] = process.argv.slice(2);
  if (!modulePath || !exportName) fail({ name: 'UsageError', message: 'usage: runner.js <module> <export>' });
  const args = decode<unknown[]>(process.env[ARGS_VARIABLE] ?? encode([]));
  const loaded = (await importModule(pathToFileURL(modulePath).href)) as Record<string, unknown> & { default?: Record<string, unknown> };
  const target = loaded[exportName] ?? loaded.default?.[exportName];
  if (typeof target !== 'function') {
    fail({ name: 'InvokeError', message: `${modulePath} has no exported function '${exportName}'` });
  }
  const result = await (target as (...values: unknown[]) => unknown)(...args);
  const json = JSON.stringify(result ?? null);
  if (Buffer.byteLength(json) > MAX_RESULT_BYTES) {
    fail({
      name: 'InvokeError',
      message: `the result of ${exportName} is ${Buffer.byteLength(json)} bytes of JSON; the limit is ${MAX_RESULT_BYTES}. Write large results to a volume and return the path`,
    });
  }
  process.stdout.write(`\n${RESULT_MARKER} ${encode(result ?? null)}\n`);
}

main().catch((error: unknown) => {
  const info = error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : { name: 'Error', message: String(error) };
  fail(info);
});
