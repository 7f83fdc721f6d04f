import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../observability/logger.ts';
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

const HEARTBEAT_AND_COMMIT_EVERY_MS = 1_000;

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
      heartbeatInterval: Math.min(1_000, Math.floor(options.sessionTimeoutMs / 3)),
      // kafkajs restarts a crashed consumer itself (after a broker outage, say) with a new member id, while
      // the broker, once back, still lists the old one: evict it first, or the rejoin waits out its session.
      retry: { restartOnFailure: () => this.beforeRestart() },
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.joined = true;
      options.logger.info({ groupId: options.groupId, memberId: payload.memberId, assignment: payload.memberAssignment }, 'joined consumer group');
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.joined = false;
      options.logger.error({ error: payload.error.message, restart: payload.restart }, 'consumer crashed');
      if (!payload.restart && !this.stopping.signal.aborted) void this.rejoinAfterFatalCrash();
    });
    this.consumer.on(this.consumer.events.REBALANCING, () => {
      this.joined = false;
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

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    const key = `${topic}:${partition}`;
    // Batches of one partition run one after another and each settles all it began, so a tracker per batch suffices.
    const tracker = new OffsetTracker();
    const signal = this.stopping.signal;
    const lagFrom = (position: string | undefined) => {
      const high = BigInt(batch.highWatermark);
      const at = position === undefined ? BigInt(batch.firstOffset() ?? batch.highWatermark) : BigInt(position);
      this.options.metrics.lag.set({ topic, partition: String(partition) }, Number(high > at ? high - at : 0n));
    };
    lagFrom(tracker.committable());

    const flush = async () => {
      const position = tracker.committable();
      if (position === undefined) return;
      payload.resolveOffset((BigInt(position) - 1n).toString());
      lagFrom(position);
      if (this.lastCommitted.get(key) === position) return;
      try {
        await this.consumer.commitOffsets([{ topic, partition, offset: position }]);
        this.lastCommitted.set(key, position);
      } catch (error) {
        // Usually a rebalance took the partition away; the new owner resumes from the last commit.
        this.options.logger.warn({ topic, partition, offset: position, error: (error as Error).message }, 'commit failed');
      }
    };
    const ticker = setInterval(() => {
      payload.heartbeat().catch(() => undefined);
      flush().catch(() => undefined);
    }, HEARTBEAT_AND_COMMIT_EVERY_MS);
    const work: Promise<void>[] = [];
    try {
      for (const message of batch.messages) {
        // Backpressure: a batch is handed over a window at a time, never whole (see KeyOrderedExecutor.room).
        await this.executor.room(this.options.maxInFlight * 4);
        if (!payload.isRunning() || payload.isStale() || signal.aborted) break;
        tracker.begin(message.offset);
        const source = { topic, partition, offset: message.offset, timestamp: message.timestamp, message };
        work.push(
          this.executor
            .submit(message.key?.toString('utf8') ?? '', async () => {
              signal.throwIfAborted();
              await this.options.processor.process(source, {
                mode: 'live',
                signal,
                onStall: (stalled) => this.setStalled(topic, partition, stalled),
              });
              tracker.complete(message.offset);
            })
            .catch((error: Error) => {
              if (!signal.aborted) this.options.logger.error({ topic, partition, offset: message.offset, error: error.message }, 'message not processed');
            }),
        );
      }
      await Promise.all(work);
    } finally {
      clearInterval(ticker);
      await flush();
    }
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
