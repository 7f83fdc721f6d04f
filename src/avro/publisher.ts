import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Producer, RecordMetadata } from 'kafkajs';
import pRetry from 'p-retry';
import { required, type Config } from '../config/config.ts';
import { readAvroSchema, type AvroSchemaName, type FulfillmentOrderRecord, type OrderStatusChangedRecord } from './schemas.ts';
import { sendInSpan } from '../observability/trace-context.ts';

export interface AvroTopics {
  fulfillment: string;
  orderStatus: string;
}

export const subjectFor = (topic: string) => `${topic}-value`;

/** Where a record was written. */
export interface WrittenRecord {
  topic: string;
  partition: number;
  offset: string;
}

const written = (metadata: RecordMetadata[], topic: string): WrittenRecord => {
  const found = metadata.find((entry) => entry.topicName === topic);
  return { topic, partition: found?.partition ?? -1, offset: found?.baseOffset ?? '-1' };
};

/** A registry that refuses the credentials, said in one line at start instead of a stack of HTTP detail. */
export function explainRegistryFailure(error: unknown, config: Config): unknown {
  const status = (error as { status?: number }).status;
  if (status !== 401 && status !== 403) return error;
  const who = config.schemaRegistry.auth ? `the credentials of ${config.schemaRegistry.auth.username}` : 'a request without credentials';
  return new Error(`SCHEMA_REGISTRY: ${config.schemaRegistry.url} refused ${who} (HTTP ${status}): check SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD`, { cause: error });
}

/** The registry client, with basic auth when configured. */
export function createSchemaRegistry(config: Config): SchemaRegistry {
  const auth = config.schemaRegistry.auth;
  return new SchemaRegistry({ host: required(config.schemaRegistry.url, 'SCHEMA_REGISTRY_URL'), ...(auth ? { auth } : {}) });
}

/**
 * Publishes Avro records in the Confluent wire format (magic byte 0, 4-byte schema id, Avro body),
 * keyed by order id, with the schema registered under `<topic>-value` (TopicNameStrategy).
 * Registration happens once per process; the registry refuses a schema that breaks the subject's
 * compatibility rule, which stops start-up rather than publishing something consumers can't read.
 *
 * Our output subjects are FULL, stricter than the registry's global BACKWARD: BACKWARD alone would let
 * a new version drop a field that the fulfillment system, still reading with the old schema, requires.
 * FULL allows only what both old readers and new readers survive (adding or removing optional fields).
 */
export class AvroPublisher {
  private readonly registry: SchemaRegistry;
  private readonly producer: Producer;
  private readonly topics: AvroTopics;
  private ids: Promise<Record<AvroSchemaName, number>> | undefined;

  constructor(registry: SchemaRegistry, producer: Producer, topics: AvroTopics) {
    this.registry = registry;
    this.producer = producer;
    this.topics = topics;
  }

  registerSchemas(): Promise<Record<AvroSchemaName, number>> {
    this.ids ??= (async () => {
      // Two instances registering a new subject at once race: the loser finds the subject before the
      // winner set its rule ("Compatibility does not match (FULL != NONE)"), or Apicurio answers it "A
      // rule named 'COMPATIBILITY' already exists". A second try a moment later finds the rule set.
      const register = (name: AvroSchemaName, topic: string) =>
        pRetry(
          async () =>
            (
              await this.registry.register(
                { type: SchemaType.AVRO, schema: readAvroSchema(name) },
                { subject: subjectFor(topic), compatibility: COMPATIBILITY.FULL, updateConfig: true },
              )
            ).id,
          { retries: 5, minTimeout: 100, shouldRetry: ({ error }) => /already exists|Compatibility does not match/i.test(error.message) },
        );
      const [fulfillment, status] = await Promise.all([
        register('FulfillmentOrder', this.topics.fulfillment),
        register('OrderStatusChanged', this.topics.orderStatus),
      ]);
      return { FulfillmentOrder: fulfillment, OrderStatusChanged: status };
    })().catch((error: unknown) => {
      this.ids = undefined;
      throw error;
    });
    return this.ids;
  }

  publishFulfillment(record: FulfillmentOrderRecord): Promise<WrittenRecord> {
    return this.publish('FulfillmentOrder', this.topics.fulfillment, record.orderId, record);
  }

  publishOrderStatus(record: OrderStatusChangedRecord): Promise<WrittenRecord> {
    return this.publish('OrderStatusChanged', this.topics.orderStatus, record.orderId, record);
  }

  /** The fulfilment record and the order's status in one produce request: one round trip, one retry for both. */
  async publishFulfillmentAndStatus(fulfillment: FulfillmentOrderRecord, status: OrderStatusChangedRecord): Promise<{ fulfillment: WrittenRecord; status: WrittenRecord }> {
    const [fulfillmentMessage, statusMessage] = await Promise.all([this.message('FulfillmentOrder', fulfillment.orderId, fulfillment), this.message('OrderStatusChanged', status.orderId, status)]);
    // Both records carry the one span's context: the fulfilment system's consumer continues the order's trace.
    const metadata = await sendInSpan(this.topics.fulfillment, fulfillment.orderId, (headers) =>
      this.producer.sendBatch({
        topicMessages: [
          { topic: this.topics.fulfillment, messages: [{ ...fulfillmentMessage, headers }] },
          { topic: this.topics.orderStatus, messages: [{ ...statusMessage, headers }] },
        ],
      }),
    );
    return { fulfillment: written(metadata, this.topics.fulfillment), status: written(metadata, this.topics.orderStatus) };
  }

  private async publish(name: AvroSchemaName, topic: string, key: string, record: object): Promise<WrittenRecord> {
    const message = await this.message(name, key, record);
    return written(await sendInSpan(topic, key, (headers) => this.producer.send({ topic, messages: [{ ...message, headers }] })), topic);
  }

  /** A record in the wire format, under its subject's registered schema. */
  private async message(name: AvroSchemaName, key: string, record: object): Promise<{ key: string; value: Buffer }> {
    const id = (await this.registerSchemas())[name];
    return { key, value: await this.registry.encode(id, record) };
  }
}
