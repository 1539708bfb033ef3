import type { CommandEndWatch } from '../provider';

/**
 * The supervisors this process spawned directly (see launchSupervisor), by instance folder, until
 * each exits: a follower in the same worker then wakes when its command ends instead of at its
 * next poll. A supervisor started otherwise, or by another worker, is simply polled.
 */
export class SupervisorEnds {
  private readonly ends = new Map<string, Promise<void>>();

  watch(instanceDir: string, ended: Promise<void>): void {
    this.ends.set(instanceDir, ended);
    void ended.then(() => this.ends.delete(instanceDir));
  }

  /** Undefined when this process did not spawn it or it has exited already (the follower's next look sees that). */
  watchFor(instanceDir: string): CommandEndWatch | undefined {
    const ended = this.ends.get(instanceDir);
    if (ended === undefined) return undefined;
    // Wakes once: after that the follower polls (it asks commandState each time anyway).
    let woke = false;
    const once = ended.then(() => {
      woke = true;
    });
    const never = new Promise<void>(() => undefined);
    return { next: () => (woke ? never : once), close: () => undefined };
  }
}
