import { shellJoin, shellQuote } from '../providers/local/supervisor';
import type { PullPolicy } from './pull-policy';
import type { RuntimeKind } from './runtime';

/**
 * The supervisor's shell lines that get a task's image (per pull policy, progress into the log)
 * and run its container into the output log. Shared by every supervisor that runs a container:
 * the local one, the ssh provider's remote one and the Mithril startup script. They differ only
 * in how paths and the runtime are written (a fixed path here, "$_flow_d/..." on a remote host)
 * and in the name of their finish function, so those come in as shell words.
 *
 * The exit code is the runtime's record of it: a container still running (one of this name
 * already there, or a client cut short) is waited for, never started twice; one that never
 * started (no such working dir, a bad device) fails with the runtime's message, not with
 * whatever the client returned.
 */
export interface ContainerScriptInput {
  /** The runtime's kind, or a shell word holding it where it is found only on the machine (Mithril). */
  kind: RuntimeKind | { shell: string };
  /** The runtime CLI as a shell word: a quoted absolute path, or e.g. "$_flow_rt". */
  runtimeWord: string;
  name: string;
  image: string;
  pullPolicy: PullPolicy;
  /** The argv after the runtime binary (see containerRunArgs); quoted here. */
  runArgs: readonly string[];
  /**
   * Shell text put unquoted right after "run" (so it splits into words), for flags known only
   * on the machine: e.g. "$_flow_gpu_args", the GPU flags of the runtime found there.
   */
  extraRunArgs?: string;
  /** The output log, as a shell word. */
  outputWord: string;
  /** Where the reason a container never ran is written (read back as the task's failure), as a shell word. */
  errorWord: string;
  /** The supervisor's function that records an exit code and exits. */
  finish: string;
}

export function containerScriptText(input: ContainerScriptInput): string {
  const q = shellQuote;
  const rt = input.runtimeWord;
  const image = q(input.image);
  const name = q(input.name);
  const { outputWord: out, errorWord: err, finish } = input;
  const [run, ...rest] = input.runArgs;
  const runLine = input.extraRunArgs === undefined ? shellJoin(input.runArgs) : `${shellQuote(run ?? 'run')} ${input.extraRunArgs} ${shellJoin(rest)}`;
  const lines = [
    // Messages name the image and the runtime through variables: their text never becomes shell code.
    `image_name=${image}`,
    `runtime_kind=${typeof input.kind === 'string' ? input.kind : input.kind.shell}`,
    `start_failed() {`,
    `  printf 'flow: %s\\n' "$1" >> ${out}`,
    `  printf '%s\\n' "$1" > ${err}.tmp && mv -f ${err}.tmp ${err}`,
    `  ${finish} 125`,
    `}`,
    `pull_image() {`,
    `  printf 'flow: pulling image %s with %s\\n' "$image_name" "$runtime_kind" >> ${out}`,
    `  ${rt} pull ${image} > ${err}.pull 2>&1`,
    `  pulled=$?`,
    `  cat ${err}.pull >> ${out}`,
    `  if [ "$pulled" -ne 0 ]; then start_failed "image $image_name could not be pulled with $runtime_kind: $(tail -n 1 ${err}.pull)"; fi`,
    `}`,
  ];
  const present = `${rt} image inspect ${image} > /dev/null 2>&1`;
  if (input.pullPolicy === 'always') lines.push('pull_image');
  else if (input.pullPolicy === 'missing') lines.push(`if ! ${present}; then pull_image; fi`);
  else {
    lines.push(
      `if ! ${present}; then start_failed "image $image_name is not on this machine and the pull policy is never ($runtime_kind: $(${rt} image inspect ${image} 2>&1 | tail -n 1))"; fi`,
    );
  }
  lines.push(
    `${rt} ${runLine} >> ${out} 2>&1 < /dev/null`,
    `code=$?`,
    `recorded=`,
    `case "$(${rt} inspect --format '{{.State.Status}}' ${name} 2>/dev/null)" in`,
    `  running|paused|restarting|stopping) recorded=$(${rt} wait ${name} 2>/dev/null) ;;`,
    `  exited|stopped|dead) recorded=$(${rt} inspect --format '{{.State.ExitCode}}' ${name} 2>/dev/null) ;;`,
    // Created but never started, or never created: the runtime's message is the log's last line.
    `  *) if [ "$code" -ne 0 ]; then start_failed "container ${input.name} did not start ($runtime_kind): $(tail -n 1 ${out})"; fi ;;`,
    `esac`,
    `case "$recorded" in ''|*[!0-9]*) ;; *) code=$recorded ;; esac`,
    `${finish} $code`,
  );
  return `${lines.join('\n')}\n`;
}

/** What to do when a task's container never ran: its image could not be had, or the runtime refused it. */
export function containerStartSuggestions(message: string, where = 'this machine'): string[] {
  if (message.startsWith('image ')) {
    return [
      `Check the image name and tag, and that ${where} can reach its registry (log in first for a private one)`,
      `Or pull or build it on ${where} first; see its images with: podman images (or docker images)`,
    ];
  }
  return [
    'A workingDir must exist in the image or lie in a volume (podman does not create it)',
    'Try the image by hand: podman run --rm IMAGE COMMAND (or docker run), and see flow doctor',
  ];
}
