import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../observability/logger.ts';
import { linkedAbort } from '../signal/linked-abort.ts';
import type { IngestMetrics } from '../observability/metrics.ts';
import { KeyOrderedExecutor } from './key-ordered-executor.ts';
import { takeOverEarlierIncarnations } from './member-takeover.ts';
import { OffsetTracker } from './offset-tracker.ts';
import type { EventProcessor } from './processor.ts';

export interface IngestConsumerOptions {
  kafka: Kafka;
  processor: EventProcessor;
  groupId: string;
  topics: string[];
  maxInFlight: number;
  partitionsConcurrency: number;
  /** This instance's Kafka client id: how a restart recognises its earlier incarnation in the group. */
  clientId: string;
  sessionTimeoutMs: number;
  logger: Logger;
  metrics: IngestMetrics;
}

/** A running batch asks this often whether the group is rebalancing; kafkajs sends at most one heartbeat per heartbeatInterval. */
const TICK_MS = 250;
const COMMIT_EVERY_TICKS = 4;
/** In-flight signals of a revoked partition get this long to finish (and be committed) before they are abandoned. */
const REVOKE_GRACE_MS = 1_000;
/** Heartbeat answers that end this member's hold on its partitions: the group is rebalancing, or has moved on without it. */
const REVOKING = { REBALANCE_IN_PROGRESS: false, ILLEGAL_GENERATION: true, UNKNOWN_MEMBER_ID: true } as const;

/**
 * The ingest loop: inbound topics in, signal-with-start out.
 *
 * - Per-key order: messages of one order (the Kafka key) are processed strictly in partition order;
 *   different orders of the same partition run in parallel up to `maxInFlight`.
 * - Commits: the position committed for a partition only advances past a message once Temporal
 *   accepted its signal (or it was dead-lettered or recorded as late), and every earlier message too.
 * - A transient failure retries with backoff and pauses the partition until it clears; nothing past
 *   the stuck message is committed meanwhile.
 */
export class IngestConsumer {
  private readonly options: IngestConsumerOptions;
  private readonly consumer: Consumer;
  private readonly executor: KeyOrderedExecutor;
  private readonly stalls = new Map<string, number>();
  private readonly lastCommitted = new Map<string, string>();
  private readonly stopping = new AbortController();
  private joined = false;
  /** Joins so far: a batch commits only within the generation it was fetched in. */
  private generation = 0;
  /** Set when a heartbeat says the group is rebalancing; cleared when this member has joined again. */
  private rebalance: { error: Error; evicted: boolean; at: number } | undefined;
  /** When this member stopped consuming for the rebalance in progress. */
  private pausedAt: number | undefined;

  constructor(options: IngestConsumerOptions) {
    this.options = options;
    this.executor = new KeyOrderedExecutor(options.maxInFlight);
    // A short fetch wait keeps shutdown quick: disconnect waits for the fetch in progress.
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 500,
      // kafkajs fetches again only once every batch of the last fetch is done, so each fetch ends with
      // the in-flight signals draining to none: the larger the fetch, the rarer that idle tail (at
      // 256 KB a partition, 3 partitions, it cost a tenth of the rate). What is decoded and held stays
      // bounded by the executor's window whatever the fetch size; the raw fetch is at most maxBytes
      // (kafkajs defaults: 1 MB a partition, 10 MB a fetch). A larger event still comes through: the
      // broker always returns at least one message.
      maxBytesPerPartition: 1024 * 1024,
      maxBytes: 4 * 1024 * 1024,
      sessionTimeout: options.sessionTimeoutMs,
      // Also how soon a running batch hears of a rebalance, which waits for it (see processBatch).
      heartbeatInterval: Math.min(500, Math.floor(options.sessionTimeoutMs / 3)),
      // kafkajs restarts a crashed consumer itself (after a broker outage, say) with a new member id, while
      // the broker, once back, still lists the old one: evict it first, or the rejoin waits out its session.
      retry: { restartOnFailure: () => this.beforeRestart() },
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.joined = true;
      this.generation += 1;
      this.rebalance = undefined;
      options.metrics.groupJoins.inc();
      if (this.pausedAt !== undefined) options.metrics.rebalancePause.observe((performance.now() - this.pausedAt) / 1_000);
      this.pausedAt = undefined;
      options.logger.info({ groupId: options.groupId, memberId: payload.memberId, assignment: payload.memberAssignment }, 'joined consumer group');
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.joined = false;
      options.logger.error({ error: payload.error.message, restart: payload.restart }, 'consumer crashed');
      if (!payload.restart && !this.stopping.signal.aborted) void this.rejoinAfterFatalCrash();
    });
    this.consumer.on(this.consumer.events.REBALANCING, () => {
      this.joined = false;
      this.pausedAt ??= performance.now();
    });
  }

  /** Ready while it is a member of the group with an assignment being consumed. */
  isReady(): boolean {
    return this.joined && !this.stopping.signal.aborted;
  }

  /**
   * Joins the group and consumes. The caller takes over from earlier incarnations first (startIngest
   * does it side by side with its other start-up steps); after a crash, `beforeRestart` does it.
   */
  async start(): Promise<void> {
    await this.join();
  }

  private async join(): Promise<void> {
    await this.consumer.connect();
    // A new group starts at the beginning: events published before ingest first ran are not skipped.
    await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConcurrency,
      eachBatch: (payload) => this.processBatch(payload),
    });
  }

  private takeOver(): Promise<string[]> {
    return takeOverEarlierIncarnations(this.options.kafka, this.options.groupId, this.options.clientId, this.options.logger);
  }

  /** Waits (until stopped) for the broker to answer, takes over from the crashed member, then lets kafkajs restart. */
  private async beforeRestart(): Promise<boolean> {
    while (!this.stopping.signal.aborted) {
      try {
        await this.takeOver();
        return true;
      } catch (error) {
        this.options.logger.warn({ error: (error as Error).message }, 'consumer restart: the group coordinator does not answer yet');
        await sleep(500, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
    return false;
  }

  /**
   * kafkajs gives up on a consumer for good after some errors it calls non-retriable, among them
   * "Failed to find group coordinator", which a broker in controlled shutdown (a rolling restart, `oms
   * dev down`) answers before it refuses connections. The process would then idle, unready, forever.
   * So ingest joins again itself, as kafkajs does after a retriable crash; nothing was committed past
   * what Temporal accepted, so the new member resumes from there.
   */
  private async rejoinAfterFatalCrash(): Promise<void> {
    for (let attempt = 1; !this.stopping.signal.aborted; attempt += 1) {
      await sleep(Math.min(1_000 * attempt, 5_000), undefined, { signal: this.stopping.signal }).catch(() => undefined);
      if (this.stopping.signal.aborted) return;
      try {
        await this.takeOver();
        await this.join();
        this.options.logger.warn({ attempt }, 'consumer joining the group again after a crash kafkajs does not recover from');
        return;
      } catch (error) {
        this.options.logger.warn({ attempt, error: (error as Error).message }, 'consumer could not rejoin the group yet');
        await this.consumer.disconnect().catch(() => undefined);
      }
    }
  }

  /**
   * Graceful stop: take no new work, abandon retries and queued messages (they stay uncommitted and
   * are redelivered), let in-flight signals finish, commit what Temporal acknowledged, leave the group.
   */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('ingest is shutting down'));
    await this.consumer.disconnect();
    this.joined = false;
  }

  /**
   * Rebalances. kafkajs revokes every partition on a rebalance (eager protocol), but it lets a running
   * batch run on (`isStale()` only reports a seek()), and rejoins only when every batch has returned:
   * until then no other member is given the partition, and the group waits, up to its rebalance
   * timeout, with all consumption stopped. So a batch that hears of the rebalance (its heartbeat is
   * answered REBALANCE_IN_PROGRESS) stops handing out messages, leaves the queued ones to the next
   * owner (each order's messages stay in order: a queued one never runs after its predecessor was
   * left), gives the in-flight signals REVOKE_GRACE_MS, commits what Temporal accepted while the
   * partition is still its own, and throws the coordinator's error so kafkajs rejoins at once.
   * A member the group moved on without (evicted after the rebalance timeout, or already joined
   * again) commits nothing: the partition may have a new owner, and the broker would refuse the old
   * generation's commit anyway.
   */
  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    const key = `${topic}:${partition}`;
    // Fetched just before the news: handed back untouched, the rejoin delivers it to its owner.
    if (this.rebalance) throw this.rebalance.error;
    const generation = this.generation;
    // Batches of one partition run one after another and each settles all it began, so a tracker per batch suffices.
    const tracker = new OffsetTracker();
    const batchStop = linkedAbort(this.stopping.signal);
    const signal = batchStop.signal;
    const lagFrom = (position: string | undefined) => {
      const high = BigInt(batch.highWatermark);
      const at = position === undefined ? BigInt(batch.firstOffset() ?? batch.highWatermark) : BigInt(position);
      this.options.metrics.lag.set({ topic, partition: String(partition) }, Number(high > at ? high - at : 0n));
    };
    lagFrom(tracker.committable());

    const flush = async () => {
      const position = tracker.committable();
      if (position === undefined || this.generation !== generation || this.rebalance?.evicted) return;
      payload.resolveOffset((BigInt(position) - 1n).toString());
      lagFrom(position);
      if (this.lastCommitted.get(key) === position) return;
      try {
        await this.consumer.commitOffsets([{ topic, partition, offset: position }]);
        this.lastCommitted.set(key, position);
      } catch (error) {
        // The partition went elsewhere meanwhile; its new owner resumes from the last commit.
        this.options.logger.warn({ topic, partition, offset: position, error: (error as Error).message }, 'commit failed');
      }
    };
    let ticks = 0;
    const ticker = setInterval(() => {
      // An answer that arrives after this member joined again is about the rebalance already over.
      payload.heartbeat().catch((error: unknown) => generation === this.generation && this.onHeartbeatFailure(error));
      if (this.rebalance && performance.now() - this.rebalance.at >= REVOKE_GRACE_MS) batchStop.abort(this.rebalance.error);
      if ((ticks += 1) % COMMIT_EVERY_TICKS === 0) flush().catch(() => undefined);
    }, TICK_MS);
    const work: Promise<void>[] = [];
    let completed = 0;
    try {
      for (const message of batch.messages) {
        // Backpressure: a batch is handed over a window at a time, never whole (see KeyOrderedExecutor.room).
        await this.executor.room(this.options.maxInFlight * 4);
        if (!payload.isRunning() || payload.isStale() || this.rebalance || signal.aborted) break;
        tracker.begin(message.offset);
        const source = { topic, partition, offset: message.offset, timestamp: message.timestamp, message };
        work.push(
          this.executor
            .submit(message.key?.toString('utf8') ?? '', async () => {
              signal.throwIfAborted();
              if (this.rebalance) throw this.rebalance.error;
              await this.options.processor.process(source, {
                mode: 'live',
                signal,
                onStall: (stalled) => this.setStalled(topic, partition, stalled),
              });
              tracker.complete(message.offset);
              completed += 1;
            })
            .catch((error: Error) => {
              if (!signal.aborted && !this.rebalance) this.options.logger.error({ topic, partition, offset: message.offset, error: error.message }, 'message not processed');
            }),
        );
      }
      await Promise.all(work);
    } finally {
      clearInterval(ticker);
      batchStop.release();
      await flush();
    }
    // Read through a call: the ticker may have set it while the batch ran, which narrowing can't see.
    const rebalance = this.pendingRebalance();
    if (rebalance) {
      const left = batch.messages.length - completed;
      this.options.metrics.handedBack.inc({ topic }, left);
      this.options.logger.info({ topic, partition, committed: this.lastCommitted.get(key), handedBack: left }, 'partition revoked: batch handed back');
      throw rebalance.error;
    }
  }

  private pendingRebalance(): IngestConsumer['rebalance'] {
    return this.rebalance;
  }

  private onHeartbeatFailure(error: unknown): void {
    const type = (error as { type?: string }).type;
    if (this.rebalance || type === undefined || !Object.hasOwn(REVOKING, type)) return;
    this.rebalance = { error: error as Error, evicted: REVOKING[type as keyof typeof REVOKING], at: performance.now() };
    this.pausedAt ??= this.rebalance.at;
    this.options.logger.info({ groupId: this.options.groupId, reason: type }, 'group rebalancing: stopping batches to rejoin');
  }

  /** Pauses a partition while any transient failure holds it, so no further batches are fetched for it. */
  private setStalled(topic: string, partition: number, stalled: boolean): void {
    const key = `${topic}:${partition}`;
    const before = this.stalls.get(key) ?? 0;
    const after = Math.max(0, before + (stalled ? 1 : -1));
    this.stalls.set(key, after);
    if (before === 0 && after === 1) this.consumer.pause([{ topic, partitions: [partition] }]);
    if (before === 1 && after === 0) this.consumer.resume([{ topic, partitions: [partition] }]);
  }
}
