import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Ends a transient-failure backoff early once the dependency answers again. Exponential backoff
 * keeps a dead dependency from being hammered, but once it has grown to INGEST_RETRY_MAX_MS a
 * partition would sit idle for up to that long after the dependency came back. So while any retry
 * waits, one cheap probe per process asks every `pollMs`; a wait ends as soon as the probe has
 * failed and then succeeded during it. A probe that never failed (the dependency was up all along,
 * and the failure was something else, say an overloaded call timing out) leaves the backoff alone.
 */
export class RecoveryWatch {
  private readonly probe: () => Promise<unknown>;
  private readonly pollMs: number;
  private inFlight: Promise<boolean> | undefined;

  constructor(probe: () => Promise<unknown>, pollMs = 250) {
    this.probe = probe;
    this.pollMs = pollMs;
  }

  /** Waits `ms`, or less once the dependency is seen to come back; rejects with the signal's reason when aborted. */
  async wait(ms: number, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + ms;
    let sawDown = false;
    for (let left = ms; left > 0; left = deadline - Date.now()) {
      await sleep(Math.min(this.pollMs, left), undefined, { signal });
      const up = await this.answers();
      if (!up) sawDown = true;
      else if (sawDown) return;
    }
  }

  /** Concurrent waiters share one probe call. */
  private answers(): Promise<boolean> {
    this.inFlight ??= this.probe().then(
      () => true,
      () => false,
    ).finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }
}

/** Exponential backoff with jitter, as p-retry's `randomize` does: initial × 2^(n-1) × [1, 2), capped at maxMs. */
export function backoffDelay(attemptNumber: number, retry: { initialMs: number; maxMs: number }): number {
  return Math.min(retry.maxMs, retry.initialMs * 2 ** (attemptNumber - 1) * (1 + Math.random()));
}
