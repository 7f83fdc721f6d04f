import { fileURLToPath } from 'node:url';
import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll } from 'vitest';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { FulfillmentActivities } from '../../src/activity/fulfillment/activities.ts';
import type { NotificationActivities } from '../../src/activity/notification/activities.ts';
import type { PaymentActivities } from '../../src/activity/payment/activities.ts';
import type { RiskActivities } from '../../src/activity/risk/activities.ts';
import type { StorefrontActivities } from '../../src/activity/storefront/activities.ts';
import { loadConfig } from '../../src/config/config.ts';
import {
  LOCAL_GROUPS_ACTIVITY,
  ORDER_WORKFLOW,
  orderReceived,
  orderWorkflowId,
  PAYMENT_WORKFLOW,
  paymentEvent,
  paymentReport,
  paymentWorkflowId,
  type ActivityGroup,
  type OrderReceivedSignal,
  type OrderWorkflowInput,
  type OrderWorkflowSettings,
  type PaymentEventSignal,
  type PaymentValidatedSignal,
  type PaymentWorkflowInput,
} from '../../src/contract/workflows.ts';
import type { OrderProcessingWorkflow } from '../../src/workflow/order-processing.ts';
import type { PaymentValidationWorkflow } from '../../src/workflow/payment-validation.ts';
import { uniqueName } from './names.ts';
import { createTimeSkippingEnvironment } from './time-skipping.ts';

/** Every activity the workflows call, replaced by a double: the workflow-logic suite is about the workflows alone. */
export type AllActivities = StorefrontActivities & PaymentActivities & FulfillmentActivities & NotificationActivities & RiskActivities;
export interface ActivityCall {
  name: keyof AllActivities;
  input: unknown;
  /** Set when the call was a local activity (v4). */
  local?: true;
}

/** v3's activities that do two steps in one: their doubles are made of the steps' doubles, and log those. */
type Combined = 'checkOrder' | 'publishCompletion' | 'settlePayment';

/** Doubles that succeed, as the real systems would for a valid, paid, in-stock order; tests override what they need. */
export function activityDoubles(overrides: Partial<Omit<AllActivities, Combined>> = {}): { activities: AllActivities; calls: ActivityCall[] } {
  const calls: ActivityCall[] = [];
  const defaults: Omit<AllActivities, Combined> = {
    validateOrder: async () => ({ valid: true, reasons: [] }),
    enrichOrder: async () => ({ customerId: 'CUST-1', skus: ['SKU-0001'] }),
    reserveInventory: async ({ fulfillmentId }) => ({ reservationId: fulfillmentId }),
    releaseInventory: async () => undefined,
    getPaymentStatus: async () => ({ status: 'captured', amount: 10, reference: 'ref-1' }),
    awaitPaymentSettled: async () => ({ status: 'captured', amount: 10, reference: 'ref-1' }),
    voidPayment: async () => undefined,
    reportPaymentToOrder: async () => undefined,
    publishFulfillment: async ({ fulfillmentId }) => [{ kind: 'fulfillment', fulfillmentId, topic: 'fulfillment', partition: 0, offset: '0', time: new Date().toISOString() }],
    publishOrderStatus: async ({ status }) => [{ kind: 'status', status, topic: 'order-status', partition: 0, offset: '0', time: new Date().toISOString() }],
    notifyCustomer: async () => undefined,
    assessOrderRisk: async () => ({ score: 12, level: 'low', reasons: [] }),
  };
  const merged = { ...defaults, ...overrides };
  const logged = Object.fromEntries(
    Object.entries(merged).map(([name, fn]) => [
      name,
      (input: unknown) => {
        calls.push({ name: name as keyof AllActivities, input, ...(activityInfo().isLocal ? { local: true as const } : {}) });
        return (fn as (input: unknown) => Promise<unknown>)(input);
      },
    ]),
  ) as unknown as Omit<AllActivities, Combined>;
  const combined: Pick<AllActivities, Combined> = {
    checkOrder: async (orderId) => {
      const validation = await logged.validateOrder(orderId);
      return validation.valid ? { ...validation, enriched: await logged.enrichOrder(orderId) } : validation;
    },
    publishCompletion: async ({ risk, ...input }) => [
      ...(await logged.publishFulfillment(input)),
      ...(await logged.publishOrderStatus({ orderId: input.orderId, status: 'COMPLETED', reasons: [], ...(risk ? { risk } : {}) })),
    ],
    settlePayment: async (input) => {
      const settled = await logged.getPaymentStatus({ paymentId: input.paymentId });
      if (settled.status === 'pending') return { ...settled, reported: false };
      await logged.reportPaymentToOrder(paymentReport(input.orderId, input, settled));
      return { ...settled, reported: true };
    },
  };
  return { activities: { ...logged, ...combined }, calls };
}

export const permanent = (message: string) => ApplicationFailure.nonRetryable(message, 'TestDouble');

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The service's real workflow code, bundled once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('../../src/workflow/index.ts', import.meta.url)), logger: quietBundler });
  return bundle;
}
export const quietBundler = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

/** The defaults users get, with every activity group on the one task queue the doubles are served from. */
export function defaultSettings(taskQueue: string): OrderWorkflowSettings {
  const { orderTimeouts } = loadConfig({});
  return { ...orderTimeouts, taskQueues: { storefront: taskQueue, payment: taskQueue, fulfillment: taskQueue, notification: taskQueue, risk: taskQueue } };
}
export const defaultPaymentPollTimeoutMs = () => loadConfig({}).paymentPollTimeoutMs;
export const defaultPaymentRetryWindowMs = () => loadConfig({}).orderTimeouts.paymentRetryWindowMs;

/**
 * Runs `body` with a worker polling a fresh task queue for both the workflows and the doubles. As
 * `oms worker` does, it tells each run which groups it calls as local activities: none unless `local` says.
 */
export async function withWorker<T>(env: TestWorkflowEnvironment, activities: AllActivities, body: (taskQueue: string) => Promise<T>, local: ActivityGroup[] = []): Promise<T> {
  const taskQueue = uniqueName('logic');
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: { ...activities, [LOCAL_GROUPS_ACTIVITY]: async () => local } });
  return worker.runUntil(body(taskQueue));
}

/** One time-skipping server per test file: `time.env` is set before the first test runs. */
export function useTimeSkippingEnvironment(): { env: TestWorkflowEnvironment } {
  const time = {} as { env: TestWorkflowEnvironment };
  beforeAll(async () => {
    time.env = await createTimeSkippingEnvironment();
  });
  afterAll(async () => {
    await time.env?.teardown();
  });
  return time;
}

/** A payment workflow at the default poll and retry windows, started by its first event as ingest starts it. */
export async function startPaymentWorkflow(env: TestWorkflowEnvironment, taskQueue: string, first: PaymentEventSignal) {
  const orderId = uniqueName('ORD');
  const input: PaymentWorkflowInput = { orderId, pollTimeoutMs: defaultPaymentPollTimeoutMs(), retryWindowMs: defaultPaymentRetryWindowMs(), taskQueues: defaultSettings(taskQueue).taskQueues };
  const handle = await env.client.workflow.signalWithStart<typeof PaymentValidationWorkflow, [PaymentEventSignal]>(PAYMENT_WORKFLOW, {
    workflowId: paymentWorkflowId(orderId),
    taskQueue,
    args: [input],
    signal: paymentEvent,
    signalArgs: [first],
  });
  return { orderId, input, handle };
}

export const orderCreated = { signal: orderReceived.name, arg: { eventId: 'evt-order', type: 'order.created' } satisfies OrderReceivedSignal };

/** An order workflow at the default settings, started by its first signal as ingest starts it (signal-with-start). */
export async function startOrderWorkflow(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  first: { signal: string; arg: OrderReceivedSignal | PaymentValidatedSignal } = orderCreated,
) {
  const orderId = uniqueName('ORD');
  const input: OrderWorkflowInput = { orderId, settings: defaultSettings(taskQueue) };
  const handle = await env.client.workflow.signalWithStart<typeof OrderProcessingWorkflow, [OrderReceivedSignal | PaymentValidatedSignal]>(ORDER_WORKFLOW, {
    workflowId: orderWorkflowId(orderId),
    taskQueue,
    args: [input],
    signal: first.signal,
    signalArgs: [first.arg],
  });
  return { orderId, input, handle };
}
