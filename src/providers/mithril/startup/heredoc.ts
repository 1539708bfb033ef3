import { createHash } from 'node:crypto';

/**
 * A quoted here-document (no expansion inside) whose delimiter is no line of the body. The
 * delimiter comes from the body's hash, so the same input always builds the same script.
 */
export function quotedHeredoc(command: string, base: string, body: string): string {
  const lines = new Set(body.split('\n'));
  let delimiter = base;
  for (let round = 0; lines.has(delimiter); round += 1) {
    delimiter = `${base}_${createHash('sha256').update(`${round}\n${body}`).digest('hex').slice(0, 12)}`;
  }
  const text = body.endsWith('\n') ? body : `${body}\n`;
  return `${command} <<'${delimiter}'\n${text}${delimiter}`;
}
