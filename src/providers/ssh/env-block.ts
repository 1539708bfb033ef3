import { ValidationError } from '../../domain/errors';

/**
 * Environment variables travel to the host only on a command's stdin, never in argv or a file:
 * one line per variable, "NAME BASE64(value)", ended by a line ".". READ_ENV_BLOCK reads them
 * with the shell's `read` (which takes no byte past its line, so what follows on stdin is left
 * for the command); EXPORT_ENV_BLOCK exports them.
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
 * Shell text that reads the whole block from stdin into $_flow_env (exit 26 when stdin ended
 * before the "." line: a cut connection must not start a command with half its env). No
 * here-document anywhere: some shells keep those in temp files.
 */
export const READ_ENV_BLOCK = `_flow_env=
_flow_complete=
while IFS= read -r _flow_line; do
  if [ "$_flow_line" = . ]; then _flow_complete=1; break; fi
  _flow_env="$_flow_env$_flow_line
"
done
[ -n "$_flow_complete" ] || { echo "flow: the environment did not arrive whole on stdin" >&2; exit 26; }`;

/**
 * Shell text that exports every variable of $_flow_env (exit 23 if one cannot be decoded).
 * \`_flow_b64\` must hold the base64 binary's path, looked up before a task's PATH takes over.
 * A value's trailing newlines survive: an "x" is added after it inside $(...) and cut off.
 */
export const EXPORT_ENV_BLOCK = `_flow_nl='
'
while [ -n "$_flow_env" ]; do
  _flow_line=\${_flow_env%%"$_flow_nl"*}
  _flow_env=\${_flow_env#*"$_flow_nl"}
  _flow_x=$(printf '%s' "\${_flow_line#* }" | "$_flow_b64" -d && echo x) || exit 23
  export "\${_flow_line%% *}=\${_flow_x%x}"
done
unset _flow_line _flow_x`;
