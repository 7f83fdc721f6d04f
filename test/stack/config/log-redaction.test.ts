import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { createLogger } from '../../../src/observability/logger.ts';
import { orderEvent, paymentEventFor, toRecord } from '../../../src/dev/standins/events.ts';
import { seededCustomer, seededOrder } from '../../../src/dev/standins/seed.ts';
import { startTestService, type TestService } from '../../support/service.ts';

let captured = '';
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    captured += chunk.toString();
    done();
  },
});
let service: TestService;
beforeAll(async () => {
  service = await startTestService({ logger: createLogger({ level: 'debug', pretty: false, destination: sink }) });
});
afterAll(async () => {
  await service?.stop();
});

test('the logs of an order, at debug level, carry its ids but no customer email, name or address', async () => {
  const orderId = service.orderId('pii');
  const event = orderEvent('order.created', orderId);
  await service.produce(service.config.topics.orderEvents, [toRecord(event)]);
  await service.produce(service.config.topics.paymentEvents, [toRecord(paymentEventFor('payment.captured', orderId, `PAY-${orderId}`))]);
  await vi.waitFor(async () => expect((await service.orderStatus(orderId)).stage).toBe('completed'), { timeout: 60_000, interval: 250 });
  // Whoever logs a whole event, an order or a customer by mistake: the logger still holds the line.
  service.logger.info({ event }, 'an event logged whole');
  service.logger.info({ order: seededOrder(orderId), customer: seededCustomer(seededOrder(orderId)!.customerId) }, 'documents logged whole');

  const customer = seededCustomer(seededOrder(orderId)!.customerId)!;
  const address = seededOrder(orderId)!.shippingAddress;
  expect(captured).toContain(orderId);
  expect(captured).toContain(event.id);
  for (const secret of [customer.email, customer.name, address.line1, address.postalCode]) expect(captured).not.toContain(secret);
  expect(captured).toContain('[redacted]');
});
