import { ValidationError } from '../../domain/errors';

/**
 * Environment variables travel to the host only on a command's stdin, never in argv or a file:
 * one line per variable, "NAME BASE64(value)", ended by a line ".". READ_ENV_BLOCK reads them
 * with the shell's `read` (which takes no byte past its line, so what follows on stdin is left
 * for the command) and exports each one.
 */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function encodeEnvBlock(env: Record<string, string>, field = 'env'): string {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) {
      throw new ValidationError(`${field} name '${name}' is not a valid environment variable name`, {
        field: `${field}.${name}`,
        suggestions: ['Use letters, digits and underscores, not starting with a digit'],
      });
    }
    if (value.includes('\0')) {
      throw new ValidationError(`${field}.${name} holds a NUL byte, which an environment cannot carry`, { field: `${field}.${name}` });
    }
    lines.push(`${name} ${Buffer.from(value, 'utf8').toString('base64')}\n`);
  }
  return `${lines.join('')}.\n`;
}

/**
 * Shell text that reads the block from stdin and exports it (exit 23 if it cannot decode).
 * `_flow_b64` must hold the base64 binary's path, looked up before a task's PATH takes over.
 * A value's trailing newlines survive: an "x" is added after it inside $(...) and cut off.
 */
export const READ_ENV_BLOCK = `while IFS=' ' read -r _flow_k _flow_v; do
  [ "$_flow_k" = . ] && break
  _flow_x=$(printf '%s' "$_flow_v" | "$_flow_b64" -d && echo x) || exit 23
  export "$_flow_k=\${_flow_x%x}"
done
unset _flow_k _flow_v _flow_x`;
