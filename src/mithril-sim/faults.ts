/** Injected failures: the next `count` API calls under `pathPrefix` answer `status` instead of their real reply. */
export interface Fault {
  count: number;
  status: number;
  retryAfter?: number;
  pathPrefix: string;
}

export class Faults {
  private readonly queue: Fault[] = [];

  add(fault: Fault): void {
    this.queue.push(fault);
  }

  /** Consumes one use of the first fault that matches `path`. */
  take(path: string): Fault | undefined {
    const fault = this.queue.find((f) => path.startsWith(f.pathPrefix));
    if (!fault) return undefined;
    fault.count -= 1;
    if (fault.count <= 0) this.queue.splice(this.queue.indexOf(fault), 1);
    return fault;
  }

  list(): Fault[] {
    return this.queue.map((f) => ({ ...f }));
  }
}
