import { afterAll, beforeAll, expect, test } from 'vitest';
import { seededOrder } from '../../../src/dev/standins/seed.ts';
import { expectEveryOrderCompleted, orderStream, produceAtRate } from '../../support/order-stream.ts';
import { startTestService, type TestService } from '../../support/service.ts';

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.stop();
});

test('an order costs the commerce app one call per step it needs, and a product is looked up once per worker', { timeout: 120_000 }, async () => {
  const ids = Array.from({ length: 30 }, (_, i) => service.orderId(`calls-${i}`));
  const lines = ids.reduce((sum, id) => sum + seededOrder(id)!.lines.length, 0);
  const skus = new Set(ids.flatMap((id) => seededOrder(id)!.lines.map((line) => line.sku))).size;
  const stream = orderStream(service.config, ids);
  await produceAtRate(service.producer, stream, 100);
  await expectEveryOrderCompleted(service.temporal, stream, 90_000);

  const calls = service.storefront.stats().byResource;
  const orders = ids.length;
  const perOrder = (Object.values(calls).reduce((sum, n) => sum + n, 0) / orders).toFixed(2);
  // Before: validate read the order and each line's product, enrich the order and customer, publishing both again.
  console.log(`[figures] storefront calls for ${orders} orders of ${lines} lines (${skus} SKUs): ${JSON.stringify(calls)}, ${perOrder} per order; before: ${((lines + 7 * orders) / orders).toFixed(2)} per order (n + 7)`);
  expect(calls.orders).toBe(2 * orders); // validate and publish read it afresh; enrich takes validate's
  expect(calls.customers).toBe(orders); // enrich reads it; publishing takes enrich's
  expect(calls.reservations).toBe(orders);
  expect(calls.notifications).toBe(orders);
  expect(calls.products).toBe(skus);
});
