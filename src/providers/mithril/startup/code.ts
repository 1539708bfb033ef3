import { shellQuote } from '../../ssh/remote-layout';
import { CODE_AWAITED_MARKER, CODE_UPLOAD_PATH, CODE_WAIT_SECONDS } from './layout';
import { quotedHeredoc } from './heredoc';

/** How the code reaches the instance: in the script itself, or sent by the worker over SSH once the instance is up. */
export type CodeDelivery = { embedded: string } | { overSsh: true } | undefined;

/**
 * Checks every member name of the archive at "$_flow_a" and unpacks it into `dir`: an absolute
 * path, a '..' part, or a link pointing out of the tree refuses the whole archive, so nothing
 * lands outside the working dir.
 */
function unpackChecked(dir: string, workingDir: string): string {
  return `_flow_bad_member() {
  case "$1" in /*|..|../*|*/..|*/../*) return 0 ;; esac
  return 1
}
while IFS= read -r _flow_m; do
  if _flow_bad_member "$_flow_m"; then log "refusing the code archive: member '$_flow_m' would land outside the working dir"; exit 1; fi
done < <(tar -tzf "$_flow_a")
while IFS= read -r _flow_m; do
  case "$_flow_m" in
    l*' -> '*) _flow_t=\${_flow_m##*' -> '} ;;
    h*' link to '*) _flow_t=\${_flow_m##*' link to '} ;;
    *) continue ;;
  esac
  if _flow_bad_member "$_flow_t"; then log "refusing the code archive: a link points to '$_flow_t', outside the working dir"; exit 1; fi
done < <(tar -tvzf "$_flow_a")
tar -xzf "$_flow_a" -C ${dir} --no-same-owner
rm -f "$_flow_a"
log "code unpacked into ${workingDir.replace(/[^A-Za-z0-9_./-]/g, '?')}"`;
}

/** Creates the working dir and puts the task's code there, embedded or awaited from the worker. */
export function codeSection(workingDir: string, code: CodeDelivery): string {
  const dir = shellQuote(workingDir);
  if (code === undefined) return `# working dir\nmkdir -p ${dir}`;
  if ('embedded' in code) {
    return `# working dir and embedded code
mkdir -p ${dir} /var/lib/flow
_flow_a=$(mktemp /var/lib/flow/code.XXXXXX)
${quotedHeredoc('base64 -d > "$_flow_a"', 'EOF_FLOW_CODE', code.embedded)}
${unpackChecked(dir, workingDir)}`;
  }
  // Too big for the script: the marker tells the worker to send it (renamed into place once whole).
  return `# working dir; the code comes from the worker over SSH
mkdir -p ${dir} /var/lib/flow
: > ${CODE_AWAITED_MARKER}
log "waiting for the code from the worker"
_flow_waited=0
while [ ! -f ${CODE_UPLOAD_PATH} ]; do
  if [ "$_flow_waited" -ge ${CODE_WAIT_SECONDS} ]; then log "no code arrived within ${CODE_WAIT_SECONDS} s"; exit 1; fi
  sleep 1; _flow_waited=$((_flow_waited + 1))
done
_flow_a=${CODE_UPLOAD_PATH}
${unpackChecked(dir, workingDir)}
rm -f ${CODE_AWAITED_MARKER}`;
}
