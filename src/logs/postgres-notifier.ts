import { Client } from 'pg';
import type { WatchChanges } from './follow';

/** The NOTIFY channel every append of the PostgreSQL log store announces itself on. */
export const LOG_CHANNEL = 'flow_logs';

/** The NOTIFY payload naming one rank's log. */
export function channelKey(taskId: string, rank: number): string {
  return `${rank} ${taskId}`;
}

interface Subscriber {
  onChange: () => void;
  onLost: () => void;
}

/**
 * One LISTEN connection for a whole process (per store), shared by all its follows; opened on the
 * first follow and closed when the last one ends, so an idle CLI can exit. While it connects, or
 * after it broke (subscribers are told, and re-subscribe next round, which reconnects), the
 * follower's poll covers.
 */
export class PostgresNotifier {
  private client: Client | undefined;
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private count = 0;

  constructor(
    private readonly connect: () => Client,
    private readonly onError: (error: unknown) => void,
  ) {}

  watch(taskId: string, rank: number): WatchChanges {
    return (onChange, onLost) => {
      const key = channelKey(taskId, rank);
      const subscriber: Subscriber = { onChange, onLost };
      let set = this.subscribers.get(key);
      if (!set) this.subscribers.set(key, (set = new Set()));
      set.add(subscriber);
      this.count += 1;
      this.ensureListening();
      let stopped = false;
      return () => {
        if (stopped) return;
        stopped = true;
        if (set.delete(subscriber)) this.count -= 1;
        if (set.size === 0 && this.subscribers.get(key) === set) this.subscribers.delete(key);
        if (this.count === 0) this.closeClient();
      };
    };
  }

  /** Ends the connection; follows still running fall back to polling. */
  close(): void {
    this.dropAll();
  }

  private ensureListening(): void {
    if (this.client) return;
    const client = this.connect();
    this.client = client;
    const lost = (error?: unknown) => {
      if (this.client !== client) return;
      if (error !== undefined) this.onError(error);
      this.dropAll();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => {
      if (message.channel !== LOG_CHANNEL || message.payload === undefined) return;
      for (const subscriber of this.subscribers.get(message.payload) ?? []) subscriber.onChange();
    });
    client
      .connect()
      .then(() => client.query(`LISTEN ${LOG_CHANNEL}`))
      // Appends between the follower's last read and LISTEN taking effect: wake everyone once.
      .then(() => this.client === client && this.wakeAll())
      .catch(lost);
  }

  private wakeAll(): void {
    for (const set of this.subscribers.values()) for (const subscriber of set) subscriber.onChange();
  }

  /** Forgets every subscriber (they re-subscribe, and so reconnect, next round) and the client. */
  private dropAll(): void {
    const all = [...this.subscribers.values()].flatMap((set) => [...set]);
    this.subscribers.clear();
    this.count = 0;
    this.closeClient();
    for (const subscriber of all) subscriber.onLost();
  }

  private closeClient(): void {
    const client = this.client;
    this.client = undefined;
    client?.end().catch(() => undefined);
  }
}
