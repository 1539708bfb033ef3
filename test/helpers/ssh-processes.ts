// The process lookups moved to src/sshd-lab (the Mithril simulator uses them too).
export { descendantsOf, sshSessionProcesses } from '../../src/sshd-lab/processes';
