import { createServer, type Socket } from 'node:net';
import type { Client } from 'ssh2';

export interface PortForwardOptions {
  /** 0 picks a free port. */
  localPort: number;
  /** As the host sees it; usually 127.0.0.1. */
  remoteHost?: string;
  remotePort: number;
  /** Where the local end listens (default 127.0.0.1: not reachable from other machines). */
  bindHost?: string;
}

export interface PortForward {
  /** The local port (the chosen one when localPort was 0). */
  port: number;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

/** A local TCP server whose every connection is a forwardOut channel to remoteHost:remotePort on the host. */
export function forwardPort(client: Client, options: PortForwardOptions): Promise<PortForward> {
  const remoteHost = options.remoteHost ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.pause();
    client.forwardOut(socket.remoteAddress ?? '127.0.0.1', socket.remotePort ?? 0, remoteHost, options.remotePort, (error, channel) => {
      if (error) {
        socket.destroy();
        return;
      }
      socket.pipe(channel).pipe(socket);
      channel.once('close', () => socket.destroy());
      socket.once('close', () => channel.close());
      socket.resume();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.localPort, options.bindHost ?? '127.0.0.1', () => {
      server.removeListener('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.localPort;
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
