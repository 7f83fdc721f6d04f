import type { AppliedEvent, EventSignal } from '../contract/workflows.ts';

/**
 * Each event id is applied once: the other half of the idempotency scheme in signal-with-start.ts.
 * Returns a wrapper for signal handlers that records each new event in `applied` and drops repeats.
 */
export function appliesOnce(applied: AppliedEvent[]) {
  const seen = new Set<string>();
  return <S extends EventSignal>(apply: (signal: S) => void) =>
    (signal: S): void => {
      if (seen.has(signal.eventId)) return;
      seen.add(signal.eventId);
      applied.push({ eventId: signal.eventId, type: signal.type, ...(signal.time ? { time: signal.time } : {}) });
      apply(signal);
    };
}
