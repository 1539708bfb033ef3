import { MITHRIL_REMOTE_DIR, NODE_RANK_FILE } from './layout';

/**
 * Defines `_flow_topology_env`, which the workload section calls after the task's env is
 * exported, so the command sees the FLOW_* and torchrun variables the local provider gives
 * (src/domain/node-spec.ts nodeEnvironment).
 *
 * One node: defaults only where the env has no value (the workflow already set them).
 * Several: the topology is read from /etc/hosts as flow-compute 3.28 does (facts §10): the IPv4
 * lines not in 127/8, head = the LAST such line, rank = count − line index (1-based) of the line
 * whose names, cut to short form, include `hostname -s`. Only the box knows these, so they win
 * over whatever the env holds. The startup fails unless the count equals numInstances and the
 * node found itself.
 */
export function multinodeSection(numInstances: number, masterPort: string): string {
  if (numInstances <= 1) {
    return `# single node
_flow_topology_env() {
  export FLOW_NODE_RANK="\${FLOW_NODE_RANK:-0}" FLOW_NUM_NODES="\${FLOW_NUM_NODES:-1}"
  export FLOW_MAIN_IP="\${FLOW_MAIN_IP:-127.0.0.1}"
  export FLOW_NODE_IPS="\${FLOW_NODE_IPS:-$FLOW_MAIN_IP}" MASTER_ADDR="\${MASTER_ADDR:-$FLOW_MAIN_IP}"
  export MASTER_PORT="\${MASTER_PORT:-${masterPort}}" NODE_RANK="\${NODE_RANK:-0}" WORLD_SIZE="\${WORLD_SIZE:-1}"
  export FLOW_GPUS_PER_NODE="\${FLOW_GPUS_PER_NODE:-$_flow_gpus}"
}
_flow_gpus=$( (nvidia-smi --list-gpus 2>/dev/null || true) | grep -c '^GPU' || true)
mkdir -p ${MITHRIL_REMOTE_DIR} && echo 0 > ${NODE_RANK_FILE}`;
  }
  return `# multinode: rank and head from /etc/hosts
_flow_lines=$(awk '$1 ~ /^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$/ && $1 !~ /^127\\./' /etc/hosts)
_flow_count=$(printf '%s\\n' "$_flow_lines" | grep -c . || true)
_flow_short=$(hostname -s)
_flow_index=$(printf '%s\\n' "$_flow_lines" | awk -v me="$_flow_short" '{ for (i = 2; i <= NF; i++) { n = $i; sub(/\\..*/, "", n); if (n == me) { print NR; exit } } }')
if [ "$_flow_count" != ${numInstances} ]; then
  log "multinode: /etc/hosts lists $_flow_count node(s) (IPv4, not 127/8), the task has ${numInstances}"
  exit 1
fi
if [ -z "$_flow_index" ]; then
  log "multinode: this node ($_flow_short) is not among the /etc/hosts nodes"
  exit 1
fi
_flow_rank=$((_flow_count - _flow_index))
_flow_head_line=$(printf '%s\\n' "$_flow_lines" | tail -n 1)
_flow_head_ip=$(printf '%s\\n' "$_flow_head_line" | awk '{ print $1 }')
_flow_head_name=$(printf '%s\\n' "$_flow_head_line" | awk '{ print $2 }')
# Node IPs in rank order: rank 0 is the last line.
_flow_ips=$(printf '%s\\n' "$_flow_lines" | awk '{ print $1 }' | tac | paste -sd, -)
_flow_gpus=$( (nvidia-smi --list-gpus 2>/dev/null || true) | grep -c '^GPU' || true)
log "multinode: rank $_flow_rank of $_flow_count, head $_flow_head_ip"
mkdir -p ${MITHRIL_REMOTE_DIR} && echo "$_flow_rank" > ${NODE_RANK_FILE}
_flow_topology_env() {
  export FLOW_NODE_RANK="$_flow_rank" NODE_RANK="$_flow_rank"
  export FLOW_NUM_NODES="$_flow_count" NUM_NODES="$_flow_count" WORLD_SIZE="$_flow_count"
  export FLOW_MAIN_IP="$_flow_head_ip" HEAD_NODE_IP="$_flow_head_ip" HEAD_NODE="$_flow_head_name" MASTER_ADDR="$_flow_head_ip"
  export FLOW_NODE_IPS="$_flow_ips" MASTER_PORT="${masterPort}"
  export FLOW_GPUS_PER_NODE="\${FLOW_GPUS_PER_NODE:-$_flow_gpus}"
}`;
}
