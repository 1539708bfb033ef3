import { readFileSync } from 'node:fs';
import { ValidationError } from '../domain';

const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `--secret KEY` (its value from Flow's own environment, so it is never on argv), the older
 * `--secret KEY=VALUE`, and `--secret-file PATH` (KEY=VALUE lines). Later ones win. Errors name
 * the key, the file and line, never a value.
 */
export function secretsFromFlags(items: readonly string[], files: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of files) Object.assign(out, readSecretFile(file));
  for (const item of items) {
    const at = item.indexOf('=');
    if (at > 0) {
      out[item.slice(0, at)] = item.slice(at + 1);
      continue;
    }
    if (at === 0 || !KEY_PATTERN.test(item)) {
      throw new ValidationError(`secrets: '--secret' takes a variable name like HF_TOKEN (its value is read from your environment)`, {
        field: 'secrets',
        suggestions: ['export HF_TOKEN=... then: flow run ... --secret HF_TOKEN', 'Or put KEY=VALUE lines in a file with mode 0600 and pass --secret-file PATH'],
      });
    }
    const value = env[item];
    if (value === undefined) {
      throw new ValidationError(`secrets.${item}: --secret ${item} takes the value of ${item} from your environment, and ${item} is not set`, {
        field: `secrets.${item}`,
        suggestions: [`export ${item}=... (or read it from a file: --secret-file PATH with a line ${item}=...)`],
      });
    }
    out[item] = value;
  }
  return out;
}

/** KEY=VALUE per line; blank lines and lines starting with '#' are skipped; the value is kept verbatim. */
export function readSecretFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ValidationError(`secrets: cannot read --secret-file ${path} (${code})`, {
      field: 'secrets',
      suggestions: ['Give the path of a file of KEY=VALUE lines, e.g. --secret-file ~/.config/flow/secrets.env'],
    });
  }
  const out: Record<string, string> = {};
  text.split('\n').forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const at = line.indexOf('=');
    const key = at > 0 ? line.slice(0, at).trim() : '';
    if (!KEY_PATTERN.test(key)) {
      throw new ValidationError(`secrets: ${path}:${index + 1} must look like KEY=VALUE`, {
        field: 'secrets',
        suggestions: ['One secret per line, e.g. HF_TOKEN=hf_...; lines starting with # are comments'],
      });
    }
    out[key] = line.slice(at + 1);
  });
  return out;
}
