import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { Logger } from '../observability/logger.ts';
import type { IngestMetrics } from '../observability/metrics.ts';
import { linkedAbort } from '../signal/linked-abort.ts';
import type { KeyOrderedExecutor } from './key-ordered-executor.ts';
import { OffsetTracker } from './offset-tracker.ts';
import type { EventProcessor } from './processor.ts';
import type { Rebalance, RebalanceWatch } from './rebalance-watch.ts';

/** A running batch asks this often whether the group is rebalancing; kafkajs sends at most one heartbeat per heartbeatInterval. */
const TICK_MS = 250;
const COMMIT_EVERY_TICKS = 4;
/** In-flight signals of a revoked partition get this long to finish (and be committed) before they are abandoned. */
export const REVOKE_GRACE_MS = 1_000;

/**
 * Commit rule: a batch commits only within the generation it was fetched in, and nothing once the group
 * moved on without this member (evicted, or already joined again): the partition may have a new owner,
 * and the broker would refuse the old generation's commit anyway.
 */
export function mayCommit(batchGeneration: number, currentGeneration: number, rebalance: Rebalance | undefined): boolean {
  return batchGeneration === currentGeneration && !rebalance?.evicted;
}

/** Stop rule: a batch hands out no more messages once kafkajs stops it or it went stale, a rebalance is heard of, or ingest is stopping. */
export function stopsHandingOut(payload: Pick<EachBatchPayload, 'isRunning' | 'isStale'>, rebalance: Rebalance | undefined, signal: AbortSignal): boolean {
  return !payload.isRunning() || payload.isStale() || rebalance !== undefined || signal.aborted;
}

/** The last position committed per partition, so an unchanged position is not committed again. */
export class CommitLedger {
  private readonly last = new Map<string, string>();

  isNew(partition: string, position: string): boolean {
    return this.last.get(partition) !== position;
  }

  committed(partition: string, position: string): void {
    this.last.set(partition, position);
  }

  lastOf(partition: string): string | undefined {
    return this.last.get(partition);
  }
}

export interface BatchContext {
  groupId: string;
  processor: EventProcessor;
  executor: KeyOrderedExecutor;
  maxInFlight: number;
  logger: Logger;
  metrics: IngestMetrics;
  rebalances: RebalanceWatch;
  commits: CommitLedger;
  /** Joins so far. */
  generation: () => number;
  /** Aborted when ingest stops. */
  stopping: AbortSignal;
  commitOffsets: Consumer['commitOffsets'];
  /** Told when a transient failure starts, and stops, holding a message of the partition. */
  setStalled: (topic: string, partition: number, stalled: boolean) => void;
}

/**
 * One fetched batch of one partition. Messages go to the executor a window at a time (per-key order,
 * `maxInFlight` at once); the position committed only advances past a message once it and every earlier
 * one were accepted by Temporal (or dead-lettered). A batch that hears of a rebalance stops handing out
 * messages, leaves the queued ones to the next owner (each order's messages stay in order: a queued one
 * never runs after its predecessor was left), gives the in-flight signals REVOKE_GRACE_MS, commits what
 * Temporal accepted while the partition is still its own, and throws the coordinator's error so kafkajs
 * rejoins at once.
 */
export async function runBatch(payload: EachBatchPayload, context: BatchContext): Promise<void> {
  const { batch } = payload;
  const { topic, partition } = batch;
  const { rebalances, commits, metrics, logger } = context;
  const key = `${topic}:${partition}`;
  // Fetched just before the news: handed back untouched, the rejoin delivers it to its owner.
  rebalances.throwIfHeard();
  const generation = context.generation();
  // Batches of one partition run one after another and each settles all it began, so a tracker per batch suffices.
  const tracker = new OffsetTracker();
  const batchStop = linkedAbort(context.stopping);
  const signal = batchStop.signal;
  const lagFrom = (position: string | undefined) => {
    const high = BigInt(batch.highWatermark);
    const at = position === undefined ? BigInt(batch.firstOffset() ?? batch.highWatermark) : BigInt(position);
    metrics.lag.set({ topic, partition: String(partition) }, Number(high > at ? high - at : 0n));
  };
  lagFrom(tracker.committable());

  const flush = async () => {
    const position = tracker.committable();
    if (position === undefined || !mayCommit(generation, context.generation(), rebalances.pending())) return;
    payload.resolveOffset((BigInt(position) - 1n).toString());
    lagFrom(position);
    if (!commits.isNew(key, position)) return;
    try {
      await context.commitOffsets([{ topic, partition, offset: position }]);
      commits.committed(key, position);
    } catch (error) {
      // The partition went elsewhere meanwhile; its new owner resumes from the last commit.
      logger.warn({ topic, partition, offset: position, error: (error as Error).message }, 'commit failed');
    }
  };
  let ticks = 0;
  const ticker = setInterval(() => {
    // An answer that arrives after this member joined again is about the rebalance already over.
    payload.heartbeat().catch((error: unknown) => {
      if (generation !== context.generation()) return;
      if (rebalances.onHeartbeatFailure(error)) logger.info({ groupId: context.groupId, reason: (error as { type?: string }).type }, 'group rebalancing: stopping batches to rejoin');
    });
    if (rebalances.graceOver(REVOKE_GRACE_MS)) batchStop.abort(rebalances.pending()?.error);
    if ((ticks += 1) % COMMIT_EVERY_TICKS === 0) flush().catch(() => undefined);
  }, TICK_MS);
  const work: Promise<void>[] = [];
  let completed = 0;
  try {
    for (const message of batch.messages) {
      // Backpressure: a batch is handed over a window at a time, never whole (see KeyOrderedExecutor.room).
      await context.executor.room(context.maxInFlight * 4);
      if (stopsHandingOut(payload, rebalances.pending(), signal)) break;
      tracker.begin(message.offset);
      const source = { topic, partition, offset: message.offset, timestamp: message.timestamp, message };
      work.push(
        context.executor
          .submit(message.key?.toString('utf8') ?? '', async () => {
            signal.throwIfAborted();
            rebalances.throwIfHeard();
            await context.processor.process(source, { mode: 'live', signal, onStall: (stalled) => context.setStalled(topic, partition, stalled) });
            tracker.complete(message.offset);
            completed += 1;
          })
          .catch((error: Error) => {
            if (!signal.aborted && !rebalances.pending()) logger.error({ topic, partition, offset: message.offset, error: error.message }, 'message not processed');
          }),
      );
    }
    await Promise.all(work);
  } finally {
    clearInterval(ticker);
    batchStop.release();
    await flush();
  }
  const rebalance = rebalances.pending();
  if (rebalance) {
    const left = batch.messages.length - completed;
    metrics.handedBack.inc({ topic }, left);
    logger.info({ topic, partition, committed: commits.lastOf(key), handedBack: left }, 'partition revoked: batch handed back');
    throw rebalance.error;
  }
}
