import type { Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { temporalAnswers } from './factory.ts';

/**
 * Asks the Temporal frontend every `intervalMs` whether it answers, and calls `onRecovered` each time
 * it answers again after having failed `failuresBeforeOutage` times in a row: a short blip, which the
 * SDK's own retries absorb in a few hundred milliseconds, is not an outage. If `onRecovered` fails,
 * it is called again on the next answer.
 */
export function watchTemporal(
  client: Client,
  onRecovered: () => Promise<void>,
  onError: (error: unknown) => void,
  options: { intervalMs?: number; failuresBeforeOutage?: number } = {},
): { stop(): Promise<void> } {
  const intervalMs = options.intervalMs ?? 250;
  const failuresBeforeOutage = options.failuresBeforeOutage ?? 4;
  const stopping = new AbortController();
  const loop = (async () => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      const up = await temporalAnswers(client).then(
        () => true,
        () => false,
      );
      if (!up) failures += 1;
      else if (failures < failuresBeforeOutage) failures = 0;
      else if (
        await onRecovered().then(
          () => true,
          (error: unknown) => (onError(error), false),
        )
      )
        failures = 0;
      await sleep(intervalMs, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  })();
  return {
    stop: async () => {
      stopping.abort();
      await loop;
    },
  };
}
