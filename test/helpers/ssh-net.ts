// The namespace network moved to src/sshd-lab (the Mithril simulator builds its instances with it).
export {
  createSshNetwork,
  destroyNamespaces,
  ip,
  netnsUnavailableReason,
  setHostLink,
  type SshNetwork,
} from '../../src/sshd-lab/net';
