import { shellQuote } from '../../ssh/remote-layout';
import { quotedHeredoc } from './heredoc';

/**
 * Creates the working dir and, when code is embedded, unpacks it there. Every member name is
 * checked first: an absolute path, a '..' part, or a link pointing out of the tree refuses the
 * whole archive, so nothing lands outside the working dir.
 */
export function codeSection(workingDir: string, codeArchive: string | undefined): string {
  const dir = shellQuote(workingDir);
  if (codeArchive === undefined) return `# working dir\nmkdir -p ${dir}`;
  return `# working dir and embedded code
mkdir -p ${dir} /var/lib/flow
_flow_a=$(mktemp /var/lib/flow/code.XXXXXX)
${quotedHeredoc('base64 -d > "$_flow_a"', 'EOF_FLOW_CODE', codeArchive)}
_flow_bad_member() {
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
