import { Option, type Command } from 'commander';
import { action } from '../exit-codes';
import type { LogsFlags } from './logs-action';

export function configureLogsCommand(program: Command): void {
  program
    .command('logs')
    .description("Print a task's output (stdout and stderr, in order); a pipeline's: every step's, lines prefixed [step]")
    .argument('[task]', 'task or pipeline id, or a unique prefix of one (default: the newest task)')
    .option('-f, --follow', 'keep printing new output until the task ends (a pipeline: from every step as it starts)')
    .option('--tail <n>', 'only the last N lines (of each rank, or each step of a pipeline)')
    .option('--since <when>', 'only output written since then: 30s, 10m, 2h, 1d or an ISO time')
    .option('--grep <regex>', 'only lines matching this regular expression (before --tail counts them)')
    .option('--node <rank>', 'only this rank of a multi-node task (default: every rank, lines prefixed [rank N])')
    .option('--json', 'one JSON object per line: {"time", "rank", "line"} (time: when Flow stored the line)')
    .option('--stream <stream>', 'combined (stdout and stderr as one stream, the default), stdout or stderr', 'combined')
    // The Python CLI's sources; Flow keeps only the command's own output (its `container`).
    .addOption(new Option('--source <source>').default('container').hideHelp())
    .addHelpText('after', `
Examples:
  flow logs                                  (the newest task)
  flow logs echo-3fa2b1
  flow logs echo-3f -f --tail 100
  flow logs train-9c --grep 'loss|error'
  flow logs train-9c --since 10m --json | jq -r .line
  flow logs train-9c --node 2 -f
  flow logs llm-4b1c2d -f                    (a pipeline: [prepare] ..., [train] ...)`)
    .action(action(async (task: string | undefined, flags: LogsFlags) => (await import('./logs-action')).logsAction(task, flags)));
}
