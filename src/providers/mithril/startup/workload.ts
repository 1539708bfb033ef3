import { EXPORT_ENV_BLOCK, READ_ENV_BLOCK } from '../../ssh/env-block';
import { shellQuote } from '../../ssh/remote-layout';
import { supervisorScript } from '../../ssh/supervisor-script';
import { quotedHeredoc } from './heredoc';
import { envFilePath, MITHRIL_INSTANCE_ID, mithrilLayout, STARTUP_COMPLETE_MARKER, WORKLOAD_EXIT_FILE } from './layout';

/** How long (tenths of a second) the supervisor may take to record its pid. */
const PID_WAIT_TENTHS = 300;

/**
 * Starts the command under the ssh provider's supervisor, in the same files the ssh launch
 * makes (workdir, supervisor.sh, launched/, then the supervisor's pid, output.log, exit_code),
 * so remote-state.ts reads and stops it as on any ssh host. The env file is read into a shell
 * variable (never exported in this shell) and exported only in the subshell that execs setsid.
 * A second run of the script (a reboot) finds launched/ and starts nothing. With an image, the
 * supervisor runs `containerLines` (container.ts) instead of the command on the host.
 */
export function workloadSection(command: string | readonly string[], workingDir: string, containerLines?: string): string {
  const layout = mithrilLayout();
  const dir = shellQuote(layout.instanceDir);
  return `# workload under the supervisor
_flow_i=${dir}
_flow_b64=$(command -v base64) || { log "base64 not found (coreutils)"; exit 1; }
_flow_setsid=$(command -v setsid) || { log "setsid not found (util-linux)"; exit 1; }
(umask 077; mkdir -p "$_flow_i")
if [ -d "$_flow_i/launched" ]; then
  log "the command was started by an earlier run of this script; not starting it twice"
  exit 0
fi
(umask 077; printf '%s\\n' ${shellQuote(workingDir)} > "$_flow_i/workdir")
(umask 077; ${quotedHeredoc('cat > "$_flow_i/supervisor.sh"', 'EOF_FLOW_SUPERVISOR', supervisorScript(MITHRIL_INSTANCE_ID, command, containerLines, { contain: false }))}
)
{
${READ_ENV_BLOCK}
} < ${shellQuote(envFilePath(layout))}
mkdir "$_flow_i/launched"
(
${EXPORT_ENV_BLOCK}
_flow_topology_env
exec "$_flow_setsid" -w /bin/sh "$_flow_i/supervisor.sh" "$_flow_i"
) < /dev/null > /dev/null 2>&1 &
_flow_sup=$!
_flow_env=
_flow_n=0
while [ ! -s "$_flow_i/pid" ] && [ ! -e "$_flow_i/exit_code" ]; do
  _flow_n=$((_flow_n + 1))
  if [ "$_flow_n" -gt ${PID_WAIT_TENTHS} ]; then log "the supervisor did not start within ${PID_WAIT_TENTHS / 10} s"; exit 1; fi
  sleep 0.1
done
log "command started under the supervisor (pid $(cat "$_flow_i/pid" 2>/dev/null || echo gone))"`;
}

/** The startup is done once the command runs. */
export function completionSection(): string {
  return `# completion
touch ${STARTUP_COMPLETE_MARKER}
log "startup complete"`;
}

/**
 * Waits for the command and writes flow-compute's exit marker (for parity; Flow itself reads
 * exit_code). The script then ends with 0: the command's status lives in the files.
 */
export function workloadExitSection(): string {
  return `# workload exit (parity with flow-compute 3.28)
wait "$_flow_sup" || true
_flow_code=$(cat "$_flow_i/exit_code" 2>/dev/null || echo unknown)
(umask 022; printf 'EXIT_CODE=%s\\nEXITED_AT=%s\\n' "$_flow_code" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > ${WORKLOAD_EXIT_FILE})
log "command exited with code $_flow_code"`;
}
