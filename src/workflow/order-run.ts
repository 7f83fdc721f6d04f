import { ActivityFailure, CancellationScope, condition, isCancellation, log, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { isWaitingStage, ORDER_STAGE_ATTRIBUTE, type OrderReviewSignal, type OrderStage, type PublishedRecord, type OrderStatus, type StepRecord } from '../contract/workflows.ts';
import { appliesOnce } from './applied-events.ts';

/** An order that ends without fulfilment for a business reason: cancelled, not failed. */
export class OrderAbandoned extends Error {}

/** An activity's failure says only "Activity task failed"; what went wrong is its cause. */
export const reasonOf = (error: unknown): string => {
  if (error instanceof ActivityFailure && error.cause) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
};

/**
 * One run of an order: what its signals have told it, the status its query shows, and the steps'
 * shared helpers (record a step, wait with a deadline, run a step a cancellation may cut short, undo
 * what was done). Signal handlers write here; the workflow function reads.
 */
export class OrderRun {
  readonly orderId: string;
  readonly status: OrderStatus;
  /** A fulfillment id per run: stable across activity retries, new when the order is reprocessed. */
  readonly fulfillmentId: string;
  readonly once: ReturnType<typeof appliesOnce>;
  cancellation: string | undefined;
  reprocessRequests = 0;
  review: OrderReviewSignal | undefined;
  private readonly compensations: { step: string; undo: () => Promise<void> }[] = [];

  /** v5: waits in a long stage are visible to visibility queries (ORDER_STAGE_ATTRIBUTE). */
  private readonly stageAttribute: boolean;

  constructor(orderId: string, options: { stageAttribute: boolean }) {
    this.orderId = orderId;
    this.stageAttribute = options.stageAttribute;
    this.status = { orderId, stage: 'awaiting-order', orderReceived: false, orderVersion: 0, payment: { status: 'none' }, appliedEvents: [], history: [] };
    this.fulfillmentId = `ful-${workflowInfo().runId}`;
    this.once = appliesOnce(this.status.appliedEvents);
  }

  record(step: string, outcome: StepRecord['outcome'], detail?: string): void {
    this.status.history.push({ step, at: new Date().toISOString(), outcome, ...(detail ? { detail } : {}) });
  }

  /** Keeps where the run's records were written; a run replayed from before the activities reported it gets nothing. */
  wrote(records: PublishedRecord[] | void): void {
    if (records) (this.status.published ??= []).push(...records);
  }

  enter(stage: OrderStage): void {
    this.status.stage = stage;
    log.debug('order stage', { orderId: this.orderId, stage });
  }

  throwIfCancelled(): void {
    if (this.cancellation !== undefined) throw new OrderAbandoned(`cancelled: ${this.cancellation}`);
  }

  /** Waits for `ready`, or a cancellation, or the timeout; throws unless `ready` came true. */
  async waitFor(ready: () => boolean, timeoutMs: number, onTimeout: string): Promise<void> {
    const arrived = await this.waiting(ready, timeoutMs);
    this.throwIfCancelled();
    if (!arrived) throw new OrderAbandoned(onTimeout);
  }

  /**
   * Waits for `ready` or a cancellation, at most `timeoutMs`; false on timeout. A wait that really waits
   * in a long stage sets the stage attribute for its duration: two history events, none when `ready` already holds.
   */
  async waiting(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    const done = () => ready() || this.cancellation !== undefined;
    const shown = this.stageAttribute && isWaitingStage(this.status.stage) && !done();
    if (shown) upsertSearchAttributes([{ key: ORDER_STAGE_ATTRIBUTE, value: this.status.stage }]);
    try {
      return await condition(done, timeoutMs);
    } finally {
      if (shown) upsertSearchAttributes([{ key: ORDER_STAGE_ATTRIBUTE, value: null }]);
    }
  }

  /**
   * Runs a step that a cancellation may interrupt: an activity retrying against a failing system
   * must not keep a cancelled order waiting. Steps that must not be cut short (publishing) call
   * their activity directly.
   */
  async interruptible<T>(step: () => Promise<T>): Promise<T> {
    const scope = new CancellationScope();
    void condition(() => this.cancellation !== undefined).then(() => scope.cancel());
    try {
      return await scope.run(step);
    } catch (error) {
      if (isCancellation(error) && this.cancellation !== undefined) throw new OrderAbandoned(`cancelled: ${this.cancellation}`);
      throw error;
    }
  }

  /** Registers how to undo a step; compensate() runs them last first. */
  onFailureUndo(step: string, undo: () => Promise<void>): void {
    this.compensations.push({ step, undo });
  }

  /** Undoes what was done, last first, recording each; an undo that fails is recorded and the rest still run. */
  async compensate(): Promise<void> {
    for (const { step, undo } of this.compensations.reverse()) {
      try {
        await undo();
        this.record(step, 'ok');
      } catch (undoError) {
        this.record(step, 'failed', reasonOf(undoError));
      }
    }
  }
}
