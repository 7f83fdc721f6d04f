import { bundleWorkflowCode, Runtime, type ActivityInterceptorsFactory, type NativeConnection, type Worker } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import { ROOT_CONTEXT, SamplingDecision } from '@opentelemetry/api';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createFulfillmentActivities } from '../activity/fulfillment/activities.ts';
import { createNotificationActivities } from '../activity/notification/activities.ts';
import { PaymentProviderClient } from '../activity/payment/client.ts';
import { createPaymentActivities } from '../activity/payment/activities.ts';
import { createRiskActivities } from '../activity/risk/activities.ts';
import { RiskServiceClient } from '../activity/risk/client.ts';
import { StorefrontClient } from '../activity/storefront/client.ts';
import { createStorefrontActivities } from '../activity/storefront/activities.ts';
import { warmUpHttp } from '../activity/http.ts';
import { createStorefrontLimiter, type RequestBudget } from '../activity/storefront/limiter.ts';
import { AvroPublisher, createSchemaRegistry, explainRegistryFailure } from '../avro/publisher.ts';
import { required, requireAll, type Config } from '../config/config.ts';
import { ApplicationFailure } from '@temporalio/common';
import { LOCAL_GROUPS_ACTIVITY, NOT_HOSTED, ORDER_STAGE_ATTRIBUTE, type ActivityGroup } from '../contract/workflows.ts';
import { orderSignaller } from './order-signaller.ts';
import { WORKER_GROUPS, workerNeeds, type WorkerGroup } from './worker-groups.ts';
import { routerSettings } from '../router/routes.ts';
import type { Logger } from '../observability/logger.ts';
import { tracing } from '../observability/tracing.ts';
import { createOrderMetrics, createTaskQueueMetrics, createWorkerMetrics, metricsRegistry } from '../observability/metrics.ts';
import type { Registry } from 'prom-client';
import { createTemporalClient, FAILURE_CONVERTER_PATH, temporalSettings } from '../temporal/factory.ts';
import { createTemporalWorker, createWorkerConnection } from '../temporal/worker-factory.ts';
import { watchTemporal } from '../temporal/watch.ts';
import { createIdempotentProducer, createKafka } from '../kafka/client.ts';
import { prepareKafka } from './kafka-start.ts';
import { requireSearchAttribute } from '../temporal/search-attributes.ts';
import { activityMetrics } from './activity-metrics.ts';
import { watchTaskQueues } from './task-queue-watch.ts';
import { watchWaitingOrders } from './waiting-orders-watch.ts';

export interface RunningWorkers {
  isReady(): boolean;
  /** Stops every worker, letting in-flight tasks finish, and closes what the role opened. */
  shutdown(): Promise<void>;
}

const workflowsPath = fileURLToPath(new URL('../workflow/index.ts', import.meta.url));
/** Traced, the workflows run Temporal's OpenTelemetry interceptors, then ours that join an order's traces. */
export const TRACING_WORKFLOW_MODULES = [
  createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry-v2/lib/workflow-interceptors'),
  fileURLToPath(new URL('../workflow/trace-links.ts', import.meta.url)),
];

/** The worker options tracing adds: activity interceptors, and the sink that exports the workflows' spans. */
async function tracingOptions() {
  const { processor, resource, sampler, enabled } = tracing();
  if (!enabled) return undefined;
  const otel = await import('@temporalio/interceptors-opentelemetry-v2');
  const sink = otel.makeWorkflowExporter(processor!, resource!);
  type SerializedSpans = Parameters<typeof sink.export.fn>[1];
  // The sandbox samples its root spans (a query's, say) always: the configured sampler decides them here.
  const sampled = (span: SerializedSpans[number]) => {
    if (span.parentSpanContext !== undefined) return true;
    const { decision } = sampler!.shouldSample(ROOT_CONTEXT, span.spanContext.traceId, span.name, span.kind, span.attributes, span.links);
    return Number(decision) === Number(SamplingDecision.RECORD_AND_SAMPLED);
  };
  return {
    interceptors: { activity: [(ctx: Parameters<ActivityInterceptorsFactory>[0]) => ({ inbound: new otel.OpenTelemetryActivityInboundInterceptor(ctx), outbound: new otel.OpenTelemetryActivityOutboundInterceptor(ctx) })] },
    // The sink copies the whole WorkflowInfo onto each span; only its ids belong there (a memo or a last result could hold customer data).
    sinks: { exporter: { export: { ...sink.export, fn: (info: WorkflowInfo, spans: SerializedSpans) => sink.export.fn(workflowIds(info), spans.filter(sampled)) } } },
  };
}

const workflowIds = ({ workflowId, runId, workflowType, taskQueue, namespace }: WorkflowInfo) => ({ workflowId, runId, workflowType, taskQueue, namespace }) as WorkflowInfo;

/**
 * The worker role: one Temporal worker per task queue of the chosen groups, on one connection.
 * Each activity group is built by its factory with the clients it needs, and only those are created.
 */
export async function startWorkers(config: Config, logger: Logger, groups: WorkerGroup[] = [...WORKER_GROUPS], registry: Registry = metricsRegistry()): Promise<RunningWorkers> {
  requireAll(workerNeeds(config, groups));
  const log = logger.child({ role: 'worker', groups });
  const settings = temporalSettings(config);
  const queues = config.taskQueues.activities;
  // Connect first: it also installs the SDK runtime whose logger the workflow bundler uses.
  const connection = await createWorkerConnection(settings, logger);
  const closers: (() => Promise<void>)[] = [];
  const specs: { taskQueue: string; options: Parameters<typeof createTemporalWorker>[2] }[] = [];
  const traced = await tracingOptions();

  // One limiter per process, shared by every group that calls the commerce app: its limit counts them all.
  const metrics = createWorkerMetrics(registry);
  const orderMetrics = createOrderMetrics(registry, config.slo.fulfillmentSeconds);
  const storefrontUrl = config.storefront.baseUrl;
  const notificationsToStorefront = groups.includes('notification') && sameOrigin(config.notification.baseUrl, storefrontUrl);
  const budget: RequestBudget | undefined =
    groups.includes('storefront') || groups.includes('fulfillment') || notificationsToStorefront
      ? await createStorefrontLimiter(
          { rps: config.storefront.rps, instances: config.storefront.instances, redisUrl: config.storefront.limiterRedisUrl, id: config.storefront.limiterId },
          { logger: log.child({ component: 'storefront-limiter' }), failures: metrics.limiterFailures, waiting: metrics.limiterWaiting, sent: metrics.storefrontRequests },
        )
      : undefined;
  if (budget) {
    closers.push(() => budget.close());
    await warmUpHttp();
  }
  // One client too: what one group read, another may reuse (see RECENT_READ_MS).
  let storefront: StorefrontClient | undefined;
  const storefrontClient = () => (storefront ??= new StorefrontClient(required(storefrontUrl, 'STOREFRONT_BASE_URL'), budget!));

  // Each group's activities, on its own task queue (and as local activities of the workflows, below).
  const hosted: Partial<Record<ActivityGroup, object>> = {};
  const host = (group: ActivityGroup, activities: object) => {
    hosted[group] = activities;
    specs.push({ taskQueue: queues[group], options: { taskQueue: queues[group], activities } });
  };
  if (groups.includes('storefront')) host('storefront', createStorefrontActivities({ storefront: storefrontClient() }));
  if (groups.includes('payment')) {
    const temporal = await createTemporalClient(settings);
    closers.push(() => temporal.connection.close());
    const router = routerSettings(config);
    const activities = createPaymentActivities({
      provider: new PaymentProviderClient(required(config.paymentProvider.baseUrl, 'PAYMENT_PROVIDER_BASE_URL')),
      signalOrder: orderSignaller(temporal, router),
    });
    host('payment', activities);
  }
  if (groups.includes('fulfillment')) {
    const kafka = createKafka(config, 'publisher', log);
    await prepareKafka(kafka, config, 'worker', [config.topics.fulfillment, config.topics.orderStatus]);
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    closers.push(() => producer.disconnect());
    const registry = createSchemaRegistry(config);
    const publisher = new AvroPublisher(registry, producer, { fulfillment: config.topics.fulfillment, orderStatus: config.topics.orderStatus });
    // Register now: a schema the registry refuses stops start-up instead of failing every publish later.
    await publisher.registerSchemas().catch((error: unknown) => {
      throw explainRegistryFailure(error, config);
    });
    host('fulfillment', createFulfillmentActivities({ storefront: storefrontClient(), publisher, metrics: orderMetrics }));
  }
  if (groups.includes('notification')) {
    const baseUrl = required(config.notification.baseUrl, 'NOTIFICATION_BASE_URL');
    const activities = createNotificationActivities({ baseUrl, budget: notificationsToStorefront ? budget : undefined });
    host('notification', activities);
  }

  if (groups.includes('risk')) {
    const activities = createRiskActivities({ client: new RiskServiceClient(required(config.risk.baseUrl, 'RISK_BASE_URL')), reviewScore: config.risk.reviewScore });
    host('risk', activities);
  }

  // Temporal's probe: the outage watch, the task-queue and waiting-order figures, and the start-up checks.
  const probe = await createTemporalClient(settings, { sdkRetries: false });
  closers.push(() => probe.connection.close());
  if (groups.includes('workflows')) {
    await requireSearchAttribute(probe, ORDER_STAGE_ATTRIBUTE);
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath,
      ...(settings.encryption === 'off' ? {} : { failureConverterPath: FAILURE_CONVERTER_PATH }),
      ...(traced ? { workflowInterceptorModules: TRACING_WORKFLOW_MODULES } : {}),
      logger: Runtime.instance().logger,
    });
    // The groups this process hosts are also the workflows' local activities (v4), unless configured off;
    // LOCAL_GROUPS_ACTIVITY tells each run which they are.
    const local = config.localActivities ? (Object.keys(hosted) as ActivityGroup[]) : [];
    // Any other local call (a run that chose local on a worker hosting more) gets NOT_HOSTED, and goes to the task queue.
    const notHosted = (): never => {
      throw ApplicationFailure.nonRetryable(`not run as a local activity by this worker (${local.join(', ') || 'none'})`, NOT_HOSTED);
    };
    const activities: object = Object.assign({ [LOCAL_GROUPS_ACTIVITY]: () => Promise.resolve(local), default: notHosted }, ...local.map((group) => hosted[group]!)) as object;
    specs.push({ taskQueue: config.taskQueues.orders, options: { taskQueue: config.taskQueues.orders, workflowBundle, activities } });
    log.info({ localActivityGroups: local }, local.length > 0 ? 'the workflows call these groups as local activities' : 'the workflows call every group on its task queue');
  }

  const groupOf = new Map(Object.entries(hosted).flatMap(([group, activities]) => Object.keys(activities).map((name) => [name, group] as const)));
  const interceptors = { activity: [...(traced?.interceptors.activity ?? []), activityMetrics(orderMetrics, groupOf)] };

  // Workers come in generations: a new one replaces the running one when Temporal comes back (below).
  const generations: { workers: Worker[]; done: Promise<unknown> }[] = [];
  const launch = async (on: NativeConnection) => {
    const workers = await Promise.all(specs.map((spec) => createTemporalWorker(on, settings, { ...spec.options, ...traced, interceptors, shutdownGraceTime: config.shutdownGraceMs })));
    const done = Promise.all(workers.map((worker) => worker.run())).finally(() => on.close());
    generations.push({ workers, done });
    return workers;
  };
  let current = await launch(connection);

  /*
   * While Temporal is unreachable the SDK's pollers back off, 200 ms doubling to 10 s, a schedule fixed
   * inside sdk-core: after an outage of some seconds a worker could idle up to 12 s once the server is
   * back. So one cheap probe watches the frontend, and when it answers again after failing, the role
   * starts a fresh generation of workers, which poll at once, and tells the old one to shut down; the old
   * one finishes its in-flight tasks (up to SHUTDOWN_GRACE_MS) and stops. Sticky caches are rebuilt by
   * replay, which costs a little CPU and nothing else.
   */
  const watch = watchTemporal(probe, async () => {
    log.warn('Temporal answers again after an outage: replacing the workers, whose pollers are backing off');
    const previous = current;
    current = await launch(await createWorkerConnection(settings, logger));
    for (const worker of previous) if (worker.getState() === 'RUNNING') worker.shutdown();
  }, (error) => {
    log.error({ error: (error as Error).message }, 'could not replace the workers after an outage; trying again');
  });

  // The queues it serves, and those its workflows send activities to: a workflows-only worker is the one
  // that sees an activity queue nobody polls.
  const watched = new Map(specs.map((spec) => [spec.taskQueue, spec.taskQueue === config.taskQueues.orders ? ('workflow' as const) : ('activity' as const)]));
  if (groups.includes('workflows')) for (const queue of Object.values(queues)) watched.set(queue, 'activity');
  const health = watchTaskQueues(probe, [...watched].map(([taskQueue, type]) => ({ taskQueue, type })), createTaskQueueMetrics(registry), {
    intervalMs: config.health.pollIntervalMs,
    orphanedAfterMs: config.health.orphanedAfterMs,
    logger: log,
  });

  const waiting = groups.includes('workflows')
    ? watchWaitingOrders(probe, config.taskQueues.orders, orderMetrics.waiting, { intervalMs: config.health.pollIntervalMs, logger: log })
    : undefined;

  log.info({ taskQueues: specs.map((spec) => spec.taskQueue) }, 'workers running');
  return {
    isReady: () => current.every((worker) => worker.getState() === 'RUNNING'),
    shutdown: async () => {
      health.stop();
      waiting?.stop();
      await watch.stop();
      for (const worker of current) if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.all(generations.map((generation) => generation.done));
      for (const close of closers.reverse()) await close();
    },
  };
}

const sameOrigin = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && new URL(a).origin === new URL(b).origin;
