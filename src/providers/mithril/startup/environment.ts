import { encodeEnvBlock } from '../../ssh/env-block';
import { quotedHeredoc } from './heredoc';
import { envFilePath } from './layout';

/** Defaults every command gets (the task's env overrides them), as on the local and ssh providers. */
function providedEnvironment(taskId: string, name: string): Record<string, string> {
  // Python block-buffers stdout into a file: without this, output would show only at exit.
  return { PYTHONUNBUFFERED: '1', FLOW_TASK_ID: taskId, FLOW_TASK_NAME: name };
}

/**
 * Env and secrets go into one 0600 file through a quoted here-document, in the ssh provider's
 * env-block form (NAME BASE64 per line, "." last): no value is ever expanded by the shell,
 * echoed, or put in an argv. The workload section reads it back for the supervisor.
 */
export function environmentSection(input: { taskId: string; name: string; env: Record<string, string>; secrets: Record<string, string> }): string {
  const block = encodeEnvBlock({ ...providedEnvironment(input.taskId, input.name), ...input.env, ...input.secrets });
  const file = envFilePath();
  const dir = file.slice(0, file.lastIndexOf('/'));
  return `# environment: values only in the 0600 file below
(umask 077; mkdir -p ${dir})
(umask 077; ${quotedHeredoc(`cat > ${file}`, 'EOF_FLOW_ENV', block)}
)
chmod 600 ${file}`;
}
