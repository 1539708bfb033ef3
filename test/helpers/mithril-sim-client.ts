import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SshTarget } from './ssh-client';
import { waitFor } from './wait-for';
import { keygen, publicKeyBlob } from '../../src/sshd-lab/sshd';

/** Raw HTTP against a running flow-mithril-sim, as the tests of the simulator use it. */
export interface SimResponse {
  status: number;
  headers: Headers;
  /** Raw API JSON: the tests check its shape. */
  body: any;
}

export interface SimInstanceState {
  fid: string;
  name: string;
  bid: string;
  status: string;
  address: string;
  hostname: string;
  charged_price: string;
  namespace: string | null;
  dir: string;
  startup_log_tail: string;
  startup_exit_code: number | null;
  message: string | null;
}

export interface SimBidState {
  fid: string;
  name: string;
  region: string;
  status: string;
  limit_price: string;
  instances: string[];
  charged_price: string | null;
  message?: string;
  history: Array<{ status: string; reason?: string }>;
}

export interface SimState {
  network: { root_address: string; switch_namespace: string } | null;
  instances_unavailable: string | null;
  bids: SimBidState[];
  instances: SimInstanceState[];
  volumes: Array<{ fid: string; name: string; dir: string }>;
  markets: Array<{ instance_type: string; region: string; price: string; capacity: number; used: number }>;
}

export class SimClient {
  /** A client key every bid of these tests authorizes. */
  readonly keyPath: string;
  readonly publicKey: string;
  private readonly keyDir: string;

  constructor(
    readonly url: string,
    readonly apiKey: string,
  ) {
    this.keyDir = mkdtempSync(join(tmpdir(), 'flowt-simkey-'));
    this.keyPath = join(this.keyDir, 'id_ed25519');
    keygen(this.keyPath, 'flow-sim-test');
    this.publicKey = readFileSync(`${this.keyPath}.pub`, 'utf8').trim();
  }

  /** Removes the client key. */
  dispose(): void {
    rmSync(this.keyDir, { recursive: true, force: true });
  }

  async call(method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; key?: string | null } = {}): Promise<SimResponse> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const key = options.key === undefined ? this.apiKey : options.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }

  async state(): Promise<SimState> {
    return (await this.call('GET', '/_sim/state', { key: null })).body as SimState;
  }

  async projectId(): Promise<string> {
    const reply = await this.call('GET', '/v2/projects');
    return reply.body.data[0].fid as string;
  }

  async registerKey(project: string): Promise<string> {
    const reply = await this.call('POST', '/v2/ssh-keys', { body: { name: 'flow-sim-test', project, public_key: this.publicKey } });
    if (reply.status !== 201) throw new Error(`ssh key registration failed: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body.fid as string;
  }

  /** Waits until every node of the bid's current allocation is STATUS_RUNNING; returns them by node index. */
  async waitRunning(bidFid: string, count: number, timeoutMs = 60_000): Promise<SimInstanceState[]> {
    return waitFor(
      async () => {
        const state = await this.state();
        const bid = state.bids.find((b) => b.fid === bidFid);
        const nodes = state.instances.filter((i) => bid?.instances.includes(i.fid));
        const failed = nodes.find((i) => i.status === 'STATUS_ERROR');
        if (failed) throw new Error(`instance ${failed.fid} failed: ${failed.message}`);
        if (nodes.length === count && nodes.every((i) => i.status === 'STATUS_RUNNING')) {
          return nodes.sort((a, b) => a.name.localeCompare(b.name));
        }
        return undefined;
      },
      { timeoutMs, intervalMs: 100, message: `bid ${bidFid} running on ${count} node(s)` },
    );
  }

  /** How to reach an instance over ssh2: root, this client's key, the instance's recorded host key. */
  target(instance: SimInstanceState): SshTarget {
    const hostPub = readFileSync(join(instance.dir, 'run', 'flow-sim', 'ssh_host_ed25519_key.pub'), 'utf8');
    return {
      name: instance.name,
      address: instance.address,
      port: 22,
      user: 'root',
      privateKeyPath: this.keyPath,
      hostKey: publicKeyBlob(hostPub),
    };
  }
}
