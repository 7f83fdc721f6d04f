import pLimit, { type LimitFunction } from 'p-limit';

/**
 * Runs tasks so that tasks with the same key run one after another, in submission order, while
 * tasks with different keys run in parallel, at most `maxInFlight` at once. A task waiting for its
 * key's predecessor holds no slot, so one slow order never blocks the others behind a full limit.
 * `room` lets the submitter wait while too many tasks are pending, so what is held at once (the
 * messages, their closures, the per-key chains) stays bounded however large the backlog.
 */
export class KeyOrderedExecutor {
  private readonly limit: LimitFunction;
  private readonly tails = new Map<string, Promise<unknown>>();
  private pending = 0;
  private readonly waiters: { below: number; resolve: () => void }[] = [];

  constructor(maxInFlight: number) {
    this.limit = pLimit(maxInFlight);
  }

  /** Resolves once fewer than `below` tasks are pending. */
  room(below: number): Promise<void> {
    if (this.pending < below) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ below, resolve }));
  }

  submit<T>(key: string, task: () => Promise<T>): Promise<T> {
    this.pending += 1;
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.then(
      () => this.limit(task),
      () => this.limit(task),
    );
    const tail = run.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
      this.pending -= 1;
      for (let i = this.waiters.length - 1; i >= 0; i -= 1) {
        if (this.pending < this.waiters[i]!.below) this.waiters.splice(i, 1)[0]!.resolve();
      }
    });
    return run;
  }
}
