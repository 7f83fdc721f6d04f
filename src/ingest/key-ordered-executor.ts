import pLimit, { type LimitFunction } from 'p-limit';

/**
 * Runs tasks so that tasks with the same key run one after another, in submission order, while
 * tasks with different keys run in parallel, at most `maxInFlight` at once. A task waiting for its
 * key's predecessor holds no slot, so one slow order never blocks the others behind a full limit.
 */
export class KeyOrderedExecutor {
  private readonly limit: LimitFunction;
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(maxInFlight: number) {
    this.limit = pLimit(maxInFlight);
  }

  submit<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.then(
      () => this.limit(task),
      () => this.limit(task),
    );
    const tail = run.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }
}
