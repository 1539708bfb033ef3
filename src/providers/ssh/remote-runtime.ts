import { RUNTIME_KINDS, type ContainerRuntime, type RuntimeKind } from '../../containers';
import { ProviderError } from '../../domain/errors';
import type { HostShell } from '../../ssh/host-shell';
import { runScript, scriptFailed } from './remote-shell';

/**
 * Which container runtime runs a task's image on a fleet host, asked on the host itself when the
 * task starts (hosts differ, and a preflight cannot know which host a rank will lease). The same
 * rule as on this machine (src/containers/runtime.ts): docker only when its engine answers,
 * podman when its CLI does. The host's $HOME comes back too: volume folders under "$HOME/..."
 * become absolute paths for the runtime's bind mounts.
 */
export interface RemoteRuntime {
  runtime: ContainerRuntime;
  home: string;
}

/** Prints "found KIND PATH" or one "reason ..." line per runtime, then "home $HOME". */
function detectScript(order: readonly RuntimeKind[]): string {
  const probes = order.map((kind) => {
    const probe = kind === 'docker' ? `info --format '{{.ServerVersion}}'` : `version --format '{{.Client.Version}}'`;
    const why = kind === 'docker' ? 'docker: the CLI is here but its engine does not answer' : 'podman: its CLI does not answer';
    return `if [ -z "$_flow_found" ]; then
  if _flow_p=$(command -v ${kind}); then
    if _flow_e=$("$_flow_p" ${probe} 2>&1 >/dev/null); then _flow_found="${kind} $_flow_p"
    else echo "reason ${why} ($(printf '%s' "$_flow_e" | head -n 1))"; fi
  else echo "reason ${kind}: not installed (not on PATH)"; fi
fi`;
  });
  return `_flow_found=
${probes.join('\n')}
[ -n "$_flow_found" ] && echo "found $_flow_found"
echo "home $HOME"
`;
}

export async function detectRemoteRuntime(shell: HostShell, order: readonly RuntimeKind[]): Promise<RemoteRuntime> {
  const what = 'look for a container runtime';
  const result = await runScript(shell, detectScript(order), what, { timeoutMs: 60_000 });
  if (result.code !== 0) throw scriptFailed(shell, what, result);
  const lines = result.stdout.toString('utf8').split('\n');
  const home = lines.find((line) => line.startsWith('home '))?.slice('home '.length).trim() ?? '';
  const found = lines.find((line) => line.startsWith('found '))?.split(' ');
  if (found !== undefined && (RUNTIME_KINDS as readonly string[]).includes(found[1] ?? '') && found[2]) {
    return { runtime: { kind: found[1] as RuntimeKind, path: found.slice(2).join(' ') }, home };
  }
  const reasons = lines.filter((line) => line.startsWith('reason ')).map((line) => line.slice('reason '.length));
  // Final: installing a runtime is the user's step; retrying the same host would find the same.
  throw new ProviderError(`No container runtime on ${shell.label} to run the task's image (${reasons.join('; ') || 'none tried'})`, {
    retryable: false,
    suggestions: [
      `Install podman on ${shell.label} (Debian/Ubuntu: sudo apt-get install -y podman runc) or start a Docker engine there`,
      'Or run the task without an image (drop image: from its config)',
    ],
  });
}
