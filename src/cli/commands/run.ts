import type { Command } from 'commander';
import { TaskFailedError, isTerminal, parseTaskConfig } from '../../domain';
import { openBackend } from '../backend';
import { followTaskLog } from '../../logs/follow-task';
import { EXIT, action } from '../exit-codes';
import { colors, printJson, statusColor } from '../output';
import { watchStatus } from '../status-watcher';
import { configFromFlags, type RunFlags } from '../task-flags';

interface RunCommandFlags extends RunFlags {
  detach?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function configureRunCommand(program: Command): void {
  program
    .command('run')
    .description('Run a command (or a task.yaml) as a durable task')
    .argument('<command|task.yaml>', 'shell command to run, or a YAML task file')
    .option('-i, --instance-type <type>', 'instance type, e.g. a100, 4xa100, 8xh100, cpu')
    .option('-n, --nodes <count>', 'number of instances (numInstances)')
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', collect, [])
    .option('--secret <KEY=VALUE>', 'secret env variable, redacted in logs (repeatable)', collect, [])
    .option('-v, --volume <NAME[:PATH]>', 'volume to mount, default path /volumes/NAME (repeatable)', collect, [])
    .option('--max-price <USD>', 'maximum price per instance-hour')
    .option('--max-run-time <duration>', 'stop the task after this long, e.g. 90s, 30m, 2h')
    .option('--image <image>', 'container image (not supported by the local provider yet)')
    .option('--provider <name>', 'local | ssh | mithril')
    .option('--name <name>', 'task name (the id gets a random suffix)')
    .option('--workdir <path>', 'working directory for the command (default: the current directory)')
    .option('-d, --detach', 'print the task id and return at once')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', `
Examples:
  flow run "python train.py" -i a100
  flow run "nvidia-smi" --max-run-time 5m
  flow run "echo \\$GREETING" -e GREETING=hello -d
  flow run task.yaml -v datasets:/data`)
    .action(action(runAction));
}

async function runAction(target: string, flags: RunCommandFlags): Promise<number> {
  const config = configFromFlags(target, flags);
  parseTaskConfig(config); // invalid input stops here: nothing is submitted, no daemon started
  const backend = await openBackend();
  const taskId = await backend.submit(config);
  if (flags.detach) {
    if (flags.json) printJson({ taskId });
    else process.stdout.write(`${taskId}\n`);
    await backend.close();
    return EXIT.ok;
  }
  const c = colors(process.stderr, flags.json);
  const say = (text: string) => !flags.json && process.stderr.write(`${text}\n`);
  say(c.dim(`Task ${taskId} submitted`));
  process.once('SIGINT', () => {
    say(`\nDetached; ${taskId} keeps running.\n  follow: flow logs ${taskId} -f\n  cancel: flow cancel ${taskId}`);
    process.exit(EXIT.interrupted);
  });

  // Transitions along the way; the final status is printed once, below, with its reason.
  const stopWatching = watchStatus(backend, taskId, (status) => !isTerminal(status) && say(statusColor(status, c)(`● ${status}`)));
  const ended = backend.wait(taskId);
  ended.catch(() => undefined); // handled below, after the log is drained
  try {
    if (!flags.json) {
      for await (const line of followTaskLog(backend.logs, taskId, 0, { ended })) process.stdout.write(`${line}\n`);
    }
    const outcome = await ended;
    stopWatching();
    if (flags.json) printJson(outcome);
    const reason = outcome.reason === 'exit' ? '' : ` (${outcome.reason})`;
    say(statusColor(outcome.status, c)(`● ${outcome.status}${reason}`));
    return outcome.status === 'completed' ? EXIT.ok : EXIT.failure;
  } catch (error) {
    stopWatching();
    if (!(error instanceof TaskFailedError)) throw error;
    if (flags.json) printJson({ taskId, status: 'failed', exitCode: error.exitCode, message: error.message });
    say(c.red(`● failed: ${error.message}`));
    return error.exitCode !== null && error.exitCode > 0 && error.exitCode < 256 ? error.exitCode : EXIT.failure;
  } finally {
    await backend.close();
  }
}
