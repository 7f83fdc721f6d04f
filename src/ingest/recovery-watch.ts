import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Ends a transient-failure backoff early once the dependency answers again. Exponential backoff
 * keeps a dead dependency from being hammered, but once it has grown to INGEST_RETRY_MAX_MS a
 * partition would sit idle for up to that long after the dependency came back. So while any retry
 * waits, one cheap probe per process asks every `pollMs`; a wait ends as soon as a probe has
 * succeeded after one failed, since the wait began. A probe that never failed (the dependency was up
 * all along, and the failure was something else, say an overloaded call timing out) leaves the
 * backoff alone.
 */
export class RecoveryWatch {
  private readonly probe: () => Promise<unknown>;
  private readonly pollMs: number;
  private inFlight: Promise<boolean> | undefined;
  private recoveredAt = Number.NEGATIVE_INFINITY;
  private lastAnswer: boolean | undefined;

  constructor(probe: () => Promise<unknown>, pollMs = 250) {
    this.probe = probe;
    this.pollMs = pollMs;
  }

  /**
   * Waits `ms`, or less once the dependency is seen to come back (by this wait's probes or another's);
   * rejects with the signal's reason when aborted. Says which: after 'recovered', a retry starts its
   * backoff over, as after a first failure.
   */
  async wait(ms: number, signal: AbortSignal): Promise<'recovered' | 'elapsed'> {
    const started = Date.now();
    const deadline = started + ms;
    for (let left = ms; left > 0; left = deadline - Date.now()) {
      await sleep(Math.min(this.pollMs, left), undefined, { signal });
      if ((await this.answers()) && this.recoveredAt >= started) return 'recovered';
    }
    return 'elapsed';
  }

  /** Whether the dependency came back within the last `windowMs`: calls then meet a server still warming up. */
  recentlyRecovered(windowMs: number): boolean {
    return Date.now() - this.recoveredAt < windowMs;
  }

  /** Concurrent waiters share one probe call; a success after a failure is a recovery, whoever asked. */
  private answers(): Promise<boolean> {
    this.inFlight ??= this.probe()
      .then(
        () => true,
        () => false,
      )
      .then((up) => {
        if (up && this.lastAnswer === false) this.recoveredAt = Date.now();
        this.lastAnswer = up;
        return up;
      })
      .finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }
}

/** Exponential backoff with jitter, as p-retry's `randomize` does: initial × 2^(n-1) × [1, 2), capped at maxMs. */
export function backoffDelay(attemptNumber: number, retry: { initialMs: number; maxMs: number }): number {
  return Math.min(retry.maxMs, retry.initialMs * 2 ** (attemptNumber - 1) * (1 + Math.random()));
}
