/**
 * `flow run` flags of the Python CLI 3.28 that name Python-only task fields (hidden here): the
 * same verdicts as in a task file (src/config/python-fields), so a script written for 3.28 gets
 * the same warning or refusal as its task file would, naming the flag instead of a line.
 */
import { Option, type Command } from 'commander';

/** commander's flag name → the task field 3.28 sets from it (snake_case, as in a task file). */
export const FLAG_FIELDS = {
  placement: 'placement',
  distributedMode: 'distributed_mode',
  uploadStrategy: 'upload_strategy',
  uploadMode: 'upload_mode',
  uploadTimeout: 'upload_timeout',
  k8s: 'k8s',
} as const;

export type PythonRunFlags = Partial<Record<keyof typeof FLAG_FIELDS, string>> & { slurm?: boolean; compact?: boolean; onUploadFailure?: string };

export function addPythonRunFlags(command: Command): Command {
  return command
    .addOption(new Option('--placement <where>', 'mithril | auto (3.28; Flow runs on --provider)').hideHelp())
    .addOption(new Option('--distributed-mode <mode>', 'auto | manual (3.28)').hideHelp())
    .addOption(new Option('--upload-strategy <strategy>', 'auto | embedded | scp | none (3.28; none = --no-upload-code)').hideHelp())
    .addOption(new Option('--upload-mode <mode>', 'scp-before-start | scp-background (3.28)').hideHelp())
    .addOption(new Option('--upload-timeout <seconds>', '(3.28)').hideHelp())
    .addOption(new Option('--on-upload-failure <what>', 'continue | fail (3.28; Flow has no separate upload step)').hideHelp())
    .addOption(new Option('--k8s <cluster>', '(3.28; refused: Flow does not run on Kubernetes)').hideHelp())
    .addOption(new Option('--slurm', '(3.28; refused)').hideHelp())
    .addOption(new Option('--compact', '(3.28 output style; Flow\'s output is already compact)').hideHelp());
}
