import { randomBytes } from 'node:crypto';
import { createSchemaRegistry } from '../../avro/publisher.ts';
import type { FulfillmentOrderRecord, OrderStatusChangedRecord } from '../../avro/schemas.ts';
import { required, type Config } from '../../config/config.ts';
import { dlqTopicFor } from '../../ingest/dead-letter.ts';
import type { Logger } from '../../observability/logger.ts';
import { collectTopic, createIdempotentProducer, createKafka, type TopicCollector as Collector } from '../../kafka/client.ts';
import type { KafkaRecord } from '../standins/events.ts';
import { demoEvents, demoPoison, KINDS, POISON_HEADER, reprocessCommand, reviewCommand } from './demo-events.ts';
import { seededOrder } from '../standins/seed.ts';
import { webhookSender } from '../webhook-sender.ts';
import { STRUCTURED } from '../../gateway/http-binding.ts';
import { loadSourceSecrets } from '../../gateway/secrets.ts';
import { SOURCE_NAMES, WEBHOOK_SOURCES } from '../../gateway/sources.ts';

export interface DemoOptions {
  orders: number;
  /** kafka: events go straight to the inbound topics; gateway: as signed webhooks through `oms gateway`. */
  via: 'kafka' | 'gateway';
  timeoutMs: number;
  /** Progress goes here: a live line on a terminal, plain lines otherwise. */
  out: NodeJS.WriteStream;
}

export interface DemoReport {
  ok: boolean;
  lines: string[];
  /** From the first event produced to the first fulfillment message seen. */
  firstFulfillmentSeconds?: number;
}

async function waitForService(config: Config, timeoutMs: number): Promise<void> {
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  const url = `http://${host}:${config.http.port}/readyz`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await fetch(url).then((r) => r.status, () => 0)) === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the service is not ready (no 200 from ${url}); start it first with \`npm start\` (oms start)`);
}

/**
 * The demo's events as signed webhooks through `oms gateway`, each to its topic's source. A 429 or 503
 * is retried after its Retry-After, as a webhook sender would; a 400 for a poison event is what it expects.
 */
async function gatewayPoster(config: Config) {
  const host = config.gateway.host === '0.0.0.0' ? '127.0.0.1' : config.gateway.host;
  const secrets = required(loadSourceSecrets(config.gateway), 'GATEWAY_SECRETS');
  const send = webhookSender(`http://${host}:${config.gateway.port}`, Object.fromEntries(Object.entries(secrets).map(([source, list]) => [source, list[0]])));
  const sourceOfTopic = new Map(SOURCE_NAMES.map((name) => [WEBHOOK_SOURCES[name].topic(config), name]));
  const refused = new Set<string>();
  return {
    refused,
    async post(topic: string, record: KafkaRecord) {
      const source = sourceOfTopic.get(topic)!;
      const poison = record.headers?.[POISON_HEADER];
      for (let attempt = 1; ; attempt += 1) {
        const answer = await send(source, { body: record.value, contentType: record.headers?.['content-type'] ?? STRUCTURED });
        if (answer.status === 202 && !poison) return;
        if (answer.status === 400 && poison) return void refused.add(poison);
        if ((answer.status === 429 || answer.status === 503) && attempt < 10) {
          await new Promise((resolve) => setTimeout(resolve, Number(answer.retryAfter ?? 1) * 1_000));
          continue;
        }
        throw new Error(`the gateway answered ${answer.status} to a ${poison ? 'poison' : 'valid'} event on ${WEBHOOK_SOURCES[source].path}: ${JSON.stringify(answer.json)}`);
      }
    },
  };
}

const put = (url: string, body: unknown) => fetch(url, { method: 'PUT', body: JSON.stringify(body) }).then((r) => void r.body?.cancel());

/**
 * A bounded stream of realistic webhook events against a running service: ordinary orders,
 * payments before their order, duplicated events, invalid orders that support corrects, pending
 * payments that settle while polled, high-risk orders that support approves, payments that fail and
 * are made again with another card, and a few poison events. It then checks the outcome: every valid
 * order has exactly one fulfillment message, every high-risk one was held for review and completed
 * approved, every poison event is on its DLQ.
 */
export async function runDemo(config: Config, logger: Logger, options: DemoOptions): Promise<DemoReport> {
  await waitForService(config, 60_000);
  const storefront = required(config.storefront.baseUrl, 'STOREFRONT_BASE_URL');
  const provider = required(config.paymentProvider.baseUrl, 'PAYMENT_PROVIDER_BASE_URL');
  const kafka = createKafka(config, 'demo', logger);
  const registry = createSchemaRegistry(config);
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const runId = randomBytes(3).toString('hex');
  // The risk-service stand-in scores an order high when its id has a RISK part.
  const orders = Array.from({ length: options.orders }, (_, i) => {
    const kind = KINDS[i % KINDS.length]!;
    return { orderId: `ORD-demo-${runId}-${kind === 'high-risk' ? 'RISK-' : ''}${i}`, kind };
  });
  const topics = config.topics;
  const [fulfillment, status, orderDlq, paymentDlq] = (await Promise.all(
    [topics.fulfillment, topics.orderStatus, dlqTopicFor(topics.orderEvents), dlqTopicFor(topics.paymentEvents)].map((topic) => collectTopic(kafka, topic, `oms-demo-${runId}-${topic}`)),
  )) as [Collector, Collector, Collector, Collector];
  let produced = 0;
  const gateway = options.via === 'gateway' ? await gatewayPoster(config) : undefined;
  const send = async (topic: string, records: KafkaRecord[]) => {
    if (gateway) for (const record of records) await gateway.post(topic, record);
    else await producer.send({ topic, messages: records });
    produced += records.length;
  };

  const poison = demoPoison(runId, topics, { overHttp: gateway !== undefined });

  // The progress loop looks every half second: decode each message once, not once per look.
  const decodedOnce = new WeakMap<object, Promise<unknown>>();
  const decode = (message: Collector['messages'][number]) => {
    let record = decodedOnce.get(message);
    if (!record) decodedOnce.set(message, (record = registry.decode(message.value!).catch(() => undefined)));
    return record;
  };
  const decoded = async <T>(collector: Collector) => Promise.all(collector.messages.map((m) => decode(m) as Promise<T | undefined>));
  const ids = new Set(orders.map((o) => o.orderId));
  const fulfilled = async () => (await decoded<FulfillmentOrderRecord>(fulfillment)).filter((r): r is FulfillmentOrderRecord => !!r && ids.has(r.orderId));
  // Through the gateway, poison never reaches Kafka: it is refused with a 400 instead of dead-lettered.
  const deadLettered = () =>
    gateway ? gateway.refused.size : [...orderDlq.messages, ...paymentDlq.messages].filter((m) => m.headers?.[POISON_HEADER]?.toString().startsWith(`${runId}-`)).length;
  const poisonFate = gateway ? 'refused by the gateway' : 'dead-lettered';

  const started = performance.now();
  let firstFulfillment: number | undefined;
  const corrected = new Set<string>();
  const reviewed = new Set<string>();
  const actAsSupport = async () => {
    const statuses = await decoded<OrderStatusChangedRecord>(status);
    for (const record of statuses) {
      if (record?.status !== 'IN_REVIEW' || reviewed.has(record.orderId) || !ids.has(record.orderId)) continue;
      reviewed.add(record.orderId);
      await send(topics.supportCommands, [reviewCommand(record.orderId)]);
    }
    for (const record of statuses.filter((r) => r?.status === 'INVALID')) {
      if (!record || corrected.has(record.orderId) || !ids.has(record.orderId)) continue;
      corrected.add(record.orderId);
      // Support fixes the order in the commerce app, then asks for it to be processed again.
      await put(`${storefront}/orders/${record.orderId}`, seededOrder(record.orderId));
      await send(topics.supportCommands, [reprocessCommand(record.orderId)]);
    }
  };

  for (const [n, { orderId, kind }] of orders.entries()) {
    const events = demoEvents(orderId, kind);
    if (kind === 'invalid-then-corrected') {
      const seeded = seededOrder(orderId)!;
      await put(`${storefront}/orders/${orderId}`, { ...seeded, lines: [{ ...seeded.lines[0]!, quantity: 0 }, ...seeded.lines.slice(1)] });
    }
    if (kind === 'pending-payment') await put(`${provider}/payments/PAY-${orderId}`, { orderId, status: 'pending', settlesAs: 'authorized', lookupsUntilSettled: 2 });
    // The first card is declined; the customer pays again with another one.
    if (kind === 'payment-retry') await put(`${provider}/payments/PAY-${orderId}`, { orderId, status: 'failed', reason: 'card declined' });
    if (kind === 'payment-first') await send(topics.paymentEvents, events.payments);
    await send(topics.orderEvents, events.orders);
    if (kind !== 'payment-first') await send(topics.paymentEvents, events.payments);
    if (n % 5 === 4 && poison.length > 0) {
      const next = poison[(n - 4) / 5];
      if (next) await send(next.topic, [next.record]);
    }
  }
  for (const entry of poison.slice(Math.floor(orders.length / 5))) await send(entry.topic, [entry.record]);

  const progressLine = (done: number) => `${gateway ? 'sent' : 'produced'} ${produced} events | orders fulfilled ${done}/${orders.length} | poison ${poisonFate} ${deadLettered()}/${poison.length}`;
  const deadline = Date.now() + options.timeoutMs;
  let lastPlainLine = 0;
  for (;;) {
    await actAsSupport();
    const done = new Set((await fulfilled()).map((r) => r.orderId)).size;
    if (done > 0) firstFulfillment ??= performance.now();
    if (options.out.isTTY) options.out.write(`\r${progressLine(done)}`);
    else if (Date.now() - lastPlainLine > 2_000) {
      options.out.write(`${progressLine(done)}\n`);
      lastPlainLine = Date.now();
    }
    if ((done === orders.length && deadLettered() === poison.length) || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  // A little longer, so that a duplicate fulfillment message would be seen too.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const final = await fulfilled();
  options.out.write(`${options.out.isTTY ? '\r' : ''}${progressLine(new Set(final.map((r) => r.orderId)).size)}\n`);

  const lines: string[] = [];
  let ok = true;
  for (const { orderId, kind } of orders) {
    const count = final.filter((r) => r.orderId === orderId).length;
    if (count !== 1) {
      ok = false;
      lines.push(`FAIL ${orderId} (${kind}): ${count} fulfillment messages, expected exactly 1`);
    }
  }
  const finalStatuses = await decoded<OrderStatusChangedRecord>(status);
  for (const { orderId } of orders.filter((o) => o.kind === 'high-risk')) {
    const mine = finalStatuses.filter((r) => r?.orderId === orderId).map((r) => `${r!.status}${r!.risk ? `/${r!.risk.decision}` : ''}`);
    if (!mine.includes('IN_REVIEW/PASSED') || !mine.includes('COMPLETED/APPROVED')) {
      ok = false;
      lines.push(`FAIL ${orderId} (high-risk): statuses ${mine.join(', ') || 'none'}, expected IN_REVIEW, then COMPLETED approved`);
    }
  }
  const onDlq = new Set([...orderDlq.messages, ...paymentDlq.messages].map((m) => m.headers?.[POISON_HEADER]?.toString()));
  for (const [k, entry] of poison.entries()) {
    if (gateway ? !gateway.refused.has(`${runId}-${k}`) : !onDlq.has(`${runId}-${k}`)) {
      ok = false;
      lines.push(`FAIL poison event ${k} ${gateway ? 'was not refused by the gateway' : `is not on ${dlqTopicFor(entry.topic)}`}`);
    }
    if (gateway && onDlq.has(`${runId}-${k}`)) {
      ok = false;
      lines.push(`FAIL poison event ${k} reached ${dlqTopicFor(entry.topic)} through the gateway`);
    }
  }
  const byKind = KINDS.filter((kind, i) => KINDS.indexOf(kind) === i).map((kind) => `${orders.filter((o) => o.kind === kind).length} ${kind}`);
  lines.unshift(
    ok
      ? `OK: all ${orders.length} valid orders have exactly one fulfillment message (${byKind.join(', ')}); all ${orders.filter((o) => o.kind === 'high-risk').length} high-risk orders were held for review and approved; all ${poison.length} poison events ${gateway ? 'were refused by the gateway (400)' : 'are on their DLQ'}${gateway ? '; every event went through oms gateway as a signed webhook' : ''}`
      : 'The demo checks failed:',
  );

  await Promise.all([fulfillment, status, orderDlq, paymentDlq].map((c) => c.stop()));
  await producer.disconnect();
  return { ok, lines, firstFulfillmentSeconds: firstFulfillment === undefined ? undefined : (firstFulfillment - started) / 1_000 };
}
