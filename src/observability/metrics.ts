import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type OpenMetricsContentType } from 'prom-client';

/**
 * Ingest metrics. One registry per process role instance (not prom-client's global), so several
 * consumers in one test process don't collide.
 */
export function createIngestMetrics(registry = new Registry()) {
  const labelNames = ['topic', 'type'] as const;
  return {
    registry,
    consumed: new Counter({ name: 'oms_ingest_events_consumed_total', help: 'Inbound events read from Kafka', labelNames, registers: [registry] }),
    signalled: new Counter({
      name: 'oms_ingest_events_signalled_total',
      help: 'Events Temporal accepted as a signal-with-start',
      labelNames,
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'oms_ingest_events_dead_lettered_total',
      help: 'Events sent to <topic>.dlq, by reason',
      labelNames: [...labelNames, 'reason'],
      registers: [registry],
    }),
    late: new Counter({
      name: 'oms_ingest_events_late_total',
      help: 'Events for a workflow that had already closed: recorded and committed, not re-run',
      labelNames,
      registers: [registry],
    }),
    transientFailures: new Counter({
      name: 'oms_ingest_transient_failures_total',
      help: 'Failed attempts that will be retried (Temporal unavailable, deadline exceeded)',
      labelNames: ['topic', 'reason'],
      registers: [registry],
    }),
    signalLatency: new Histogram({
      name: 'oms_ingest_signal_with_start_seconds',
      help: 'Latency of one signal-with-start call to Temporal',
      labelNames: ['type'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    dlqDepth: new Gauge({
      name: 'oms_ingest_dlq_depth',
      help: 'Messages held on each dead-letter topic (end minus start offsets): what a re-drive would send back',
      labelNames: ['topic'],
      registers: [registry],
    }),
    groupJoins: new Counter({
      name: 'oms_ingest_group_joins_total',
      help: 'Times this instance joined its consumer group: once at start, then once per rebalance',
      registers: [registry],
    }),
    rebalancePause: new Histogram({
      name: 'oms_ingest_rebalance_pause_seconds',
      help: 'How long each rebalance kept this instance from consuming: from hearing of it (or leaving its batches) to joining again with an assignment',
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
    handedBack: new Counter({
      name: 'oms_ingest_revoked_messages_total',
      help: 'Fetched messages left unprocessed and uncommitted because a rebalance took their partition: the next owner processes them',
      labelNames: ['topic'],
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'oms_ingest_consumer_lag',
      help: 'Messages between the committed position and the partition end',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;

/** Worker metrics, in the role's registry like the ingest ones. */
export function createWorkerMetrics(registry = new Registry()) {
  return {
    limiterFailures: new Counter({
      name: 'oms_storefront_limiter_failures_total',
      help: 'Times the storefront limiter failed (Redis down, a script error); the waiting calls failed retryably',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    // Saturation: calls queue for the shared budget when demand is above STOREFRONT_RPS.
    limiterWaiting: new Gauge({ name: 'oms_storefront_limiter_waiting', help: 'Storefront calls of this process waiting for a slot of the shared budget', registers: [registry] }),
    storefrontRequests: new Counter({ name: 'oms_storefront_requests_total', help: 'Storefront requests this process sent through the limiter', registers: [registry] }),
  };
}

/** How an order ended, or paused for a person; each is counted once, by the activity that published it. */
export const ORDER_OUTCOMES = ['completed', 'cancelled', 'failed', 'held_for_review'] as const;
export type OrderOutcome = (typeof ORDER_OUTCOMES)[number];

/** The fulfilment latency buckets, in seconds; the SLO's threshold is added where it is not one of them. */
export const FULFILLMENT_BUCKETS = [1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 3 * 24 * 3600];

/**
 * Order metrics, written by the worker that publishes each outcome: summed over the instances, they
 * count every order once. The latency histogram carries the order's trace id as an exemplar, which
 * only OpenMetrics can show: the roles' registry speaks it (see metricsRegistry).
 */
export function createOrderMetrics(registry: Registry, sloSeconds: number) {
  return {
    orders: new Counter({ name: 'oms_orders_total', help: 'Orders by outcome: completed, cancelled, failed, or held for review', labelNames: ['outcome'] as const, registers: [registry] }),
    fulfillment: new Histogram({
      name: 'oms_order_fulfillment_seconds',
      help: "From the order's first event (its CloudEvents time) to its fulfilment message",
      buckets: [...new Set([...FULFILLMENT_BUCKETS, sloSeconds])].sort((a, b) => a - b),
      enableExemplars: (registry.contentType as string) === Registry.OPENMETRICS_CONTENT_TYPE,
      registers: [registry],
    }),
    activityDuration: new Histogram({
      name: 'oms_activity_duration_seconds',
      help: 'One activity attempt, by group, activity and outcome (ok, failed); its count is the attempts made',
      labelNames: ['group', 'activity', 'outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    activityAttempt: new Histogram({
      name: 'oms_activity_attempt',
      help: 'The attempt number of each activity attempt, by group and activity: above 1, a retry',
      labelNames: ['group', 'activity'] as const,
      buckets: [1, 2, 3, 5, 10, 20, 50],
      registers: [registry],
    }),
    waiting: new Gauge({
      name: 'oms_orders_waiting',
      help: "Orders waiting in a long stage, counted by Temporal's visibility store: the same figure from every workflow worker (aggregate with max)",
      labelNames: ['stage'] as const,
      registers: [registry],
    }),
  };
}

export type OrderMetrics = ReturnType<typeof createOrderMetrics>;

/** The roles' registry: OpenMetrics, the exposition format that carries exemplars; Prometheus reads it. */
export function metricsRegistry(): Registry {
  // prom-client's types bind a registry to the format it was made with; the metrics' options take the default.
  const registry = new Registry() as unknown as Registry<OpenMetricsContentType>;
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return registry as unknown as Registry;
}

/** Task-queue health as Temporal reports it, per queue a worker serves or dispatches to. */
export function createTaskQueueMetrics(registry = new Registry()) {
  const labelNames = ['task_queue', 'type'] as const;
  const gauge = (name: string, help: string) => new Gauge({ name: `oms_task_queue_${name}`, help, labelNames, registers: [registry] });
  return {
    backlog: gauge('backlog', 'Tasks waiting in the queue (Temporal\'s approximate count)'),
    backlogAge: gauge('backlog_age_seconds', 'How long the oldest waiting task has waited'),
    pollers: gauge('pollers', 'Workers polling the queue recently'),
    addRate: gauge('add_rate', 'Tasks added per second'),
    dispatchRate: gauge('dispatch_rate', 'Tasks dispatched to workers per second'),
    orphaned: gauge('orphaned', '1 when tasks wait with no worker polling for longer than TASK_QUEUE_ORPHANED_AFTER_S'),
  };
}

export type TaskQueueMetrics = ReturnType<typeof createTaskQueueMetrics>;

/** Gateway metrics: every answer by source and status, its latency, and requests awaiting Kafka. */
export function createGatewayMetrics(registry = new Registry()) {
  return {
    requests: new Counter({ name: 'oms_gateway_requests_total', help: 'Webhook requests answered, by source and HTTP status', labelNames: ['source', 'status'] as const, registers: [registry] }),
    duration: new Histogram({
      name: 'oms_gateway_request_seconds',
      help: 'Time from a webhook request to its answer (202: Kafka acknowledged the event)',
      labelNames: ['source'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    inFlight: new Gauge({ name: 'oms_gateway_requests_in_flight', help: 'Webhook requests awaiting Kafka', registers: [registry] }),
    ignored: new Counter({
      name: 'oms_gateway_ignored_total',
      help: "Signed provider events of a type this service doesn't handle, answered 200 and written nowhere, by source and the provider's type",
      labelNames: ['source', 'type'] as const,
      registers: [registry],
    }),
    refused: new Counter({
      name: 'oms_gateway_refused_total',
      help: 'Signed webhooks refused as invalid (400, 413), by source and reason: a sender or a mapping to fix',
      labelNames: ['source', 'reason'] as const,
      registers: [registry],
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

export function withDefaultMetrics(registry: Registry): Registry {
  collectDefaultMetrics({ register: registry, prefix: 'oms_' });
  return registry;
}
