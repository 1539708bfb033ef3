import { Option, type Command } from 'commander';
import { action } from '../exit-codes';
import { addPythonRunFlags } from '../python-run-flags';
import type { RunCommandFlags } from './run-action';

const collect = (value: string, previous: string[]) => [...previous, value];

/** Flags as the Python Flow CLI 3.28 spells them; old spellings stay as hidden aliases. */
export function configureRunCommand(program: Command): void {
  const run = program
    .command('run')
    .description('Run a command (or a task.yaml / pipeline.yaml) as a durable task')
    .argument('[CONFIG_FILE|COMMAND]', 'a task or pipeline file (*.yaml, *.yml), or the command to run')
    .argument('[EXTRA_ARGS...]', 'more words of the command (joined with spaces); after a task file, they replace its command')
    .option('-i, --instance-type <type>', 'instance type, e.g. a100, 4xa100, 8xh100, cpu (replaces the file\'s instance choice)')
    .option('-N, --num-instances <count>', 'number of instances (nodes), 1 to 100')
    .addOption(new Option('--nodes <count>').hideHelp())
    .option('-n, --name <name>', 'task name (the id gets a random suffix)')
    .option('-r, --region <region>', 'region to run in (providers with regions)')
    .option('--pool <name>', 'worker pool that runs the task: only workers started with flow worker --pool NAME take it')
    .option('-m, --max-price-per-hour <USD>', 'most to pay per instance-hour; the task waits while offers cost more')
    .addOption(new Option('--max-price <USD>').hideHelp())
    .option('--max-run-time <duration>', 'stop the task after this long, e.g. 90s, 30m, 2h; 0 = no limit (the default)')
    .option('--image <image>', 'container image the command runs in (local: docker or podman)')
    .option('--no-image', "host mode: ignore the task's image and run the command on this machine (warned)")
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', collect, [])
    .option('--secret <KEY>', "secret env variable, its value taken from this shell's KEY and masked in logs (repeatable)", collect, [])
    .option('--secret-file <PATH>', 'secrets from a file of KEY=VALUE lines, so no value is on the command line (repeatable)', collect, [])
    .option('-v, --volume <NAME[:PATH]>', 'volume to mount, default path /volumes/NAME (repeatable)', collect, [])
    .option('--mount <[TARGET=]NAME>', 'volume NAME at TARGET (an absolute path), default /volumes/NAME (repeatable)', collect, [])
    .option('--encrypted', 'the -v/--mount volumes are encrypted at rest (gocryptfs; new ones are created encrypted)')
    .option('--port <port>', 'port to open on every node, 1024 to 65535 (repeatable)', collect, [])
    .option('--upload-code', 'run the code of the current folder (the default)')
    .option('--no-upload-code', 'do not take the current folder\'s code along')
    .option('--idempotency-key <key>', 'the same key submits once: a repeat returns the first task')
    .option('--force-new', 'submit a new task even when --idempotency-key already named one')
    .option('--provider <name>', 'local | ssh | mithril')
    .option('--workdir <path>', 'working directory for the command (default: the current directory)')
    .option('--wait-until <state>', 'return once the task is submitted, running or completed (default: completed, following its output)')
    .option('--detach', 'print the task id and return at once (= --wait-until submitted)')
    .option('-d, --dry-run', 'validate, choose the offer and price, print the plan; submit nothing')
    .option('-y, --yes', 'skip the confirmation above $20/h')
    .option('-q, --quiet', "print only the task's output and errors (no status lines or spinner)")
    .option('--json', 'print machine-readable output')
    .addOption(new Option('--unique', 'add a random suffix to the task id (the default)').hideHelp())
    .addOption(new Option('--no-unique', 'the task id is its name (a live task of that name is a conflict)').hideHelp())
    .addOption(new Option('--priority <priority>', 'low | med | high').hideHelp())
    .addOption(new Option('-k, --ssh-keys <key>', 'SSH key for the instances (repeatable)').argParser(collect).default([]).hideHelp())
    .addOption(new Option('--code-root <path>', 'the folder whose code the task runs').hideHelp());
  addPythonRunFlags(run)
    .addHelpText('after', `
Examples:
  flow run "python train.py" -i a100
  flow run python train.py --json           # words are joined: the command is "python train.py"
  flow run -- ls -la /data                  # after --, words starting with "-" belong to the command
  flow run "nvidia-smi" --max-run-time 5m
  flow run "echo \\$GREETING" -e GREETING=hello --detach
  flow run "python serve.py" --port 8080 --mount /data=datasets
  flow run "python fetch.py" --secret HF_TOKEN  # HF_TOKEN's value from your environment, masked in logs
  flow run task.yaml -i cpu -N 2 -n smoke   # flags win over the file
  flow run task.yaml -d                     # the plan: instance type, price, worst case; nothing submitted

Exit codes: an attached run exits with the task's own exit code; 2 usage, 3 invalid input (nothing
submitted), 4 not found, 130 Ctrl-C and 143 SIGTERM (both detach: the task keeps running).
With --json the outcome has "exitCode" (the task's) and "cliExitCode" (this command's).`)
    .action(
      action(async (first: string | undefined, extra: string[], flags: RunCommandFlags) => (await import('./run-action')).runAction(first, extra, flags)),
    );
}
