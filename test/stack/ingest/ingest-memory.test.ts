import { expect, test } from 'vitest';
import { orderEvent, toRecord } from '../../../src/dev/standins/events.ts';
import { withRoleProcesses } from '../../support/roles.ts';

const { service, start } = withRoleProcesses();

// The benchmark drains 20,000 and 200,000 events (`npm run bench`); this is its smallest form, kept in
// the suite because it fails plainly without the ingest's heap budget: about 320 MB at this size then,
// growing with the backlog, against 160-190 MB with it.
test('oms ingest drains a backlog within its memory budget', { timeout: 300_000 }, async () => {
  const count = 5_000;
  const records = Array.from({ length: count }, (_, i) => toRecord(orderEvent('order.created', service().orderId(`mem${i}`))));
  for (let at = 0; at < count; at += 1_000) await service().produce(service().config.topics.orderEvents, records.slice(at, at + 1_000));

  const ingest = start(['ingest']);
  let exit: number | null | undefined;
  void ingest.exited.then((code) => (exit = code));
  try {
    const deadline = performance.now() + 240_000;
    while ((await ingest.counter('oms_ingest_events_signalled_total')) < count) {
      expect(performance.now(), 'the whole backlog signalled').toBeLessThan(deadline);
      expect(exit, `oms ingest exited early:\n${ingest.output().slice(-2_000)}`).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const peak = await ingest.peakRssMb();
    console.log(`[figures] oms ingest drained ${count} events, peak RSS ${peak.toFixed(0)} MB`);
    expect(peak).toBeLessThan(250);
  } finally {
    await ingest.kill('SIGKILL');
  }
});
