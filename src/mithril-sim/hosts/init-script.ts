/**
 * The first process of a simulated instance, run as
 *   ip netns exec NS unshare --uts --mount --propagation private bash -c INIT_SCRIPT fsim-init HOSTNAME STARTUP_LOG [SOURCE TARGET]...
 * It names the host, bind-mounts the instance's private folders over the shared ones (in the order
 * given: a target that hides the simulator's state dir comes last), starts sshd, then runs the
 * startup script as root with its output in STARTUP_LOG. It then waits so the mount namespace lives
 * as long as sshd does. Everything it starts stays in the network namespace, which is how the
 * simulator finds and kills it.
 */
export const INIT_SCRIPT = `set -eu
hostname "$1"
# Opened before any mount can hide the simulator's state dir.
exec 4>>"$2"
shift 2
while [ "$#" -ge 2 ]; do
  if [ ! -e "$2" ]; then mkdir -p "$2"; fi
  mount --bind "$1" "$2"
  shift 2
done
sshd_bin=$FSIM_SSHD
unset FSIM_SSHD
"$sshd_bin" -D -e -f /run/flow-sim/sshd_config &
set +e
(cd /root 2>/dev/null || cd /; exec bash /run/flow-sim/startup.sh) </dev/null >&4 2>&4
echo "$?" > /run/flow-sim/startup.exit
exec 4>&-
wait
`;
