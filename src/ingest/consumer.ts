import type { Consumer, Kafka } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../observability/logger.ts';
import type { IngestMetrics } from '../observability/metrics.ts';
import { CommitLedger, runBatch, type BatchContext } from './batch-run.ts';
import { KeyOrderedExecutor } from './key-ordered-executor.ts';
import { takeOverEarlierIncarnations } from './member-takeover.ts';
import type { EventProcessor } from './processor.ts';
import { RebalanceWatch } from './rebalance-watch.ts';

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

/**
 * The ingest loop's group membership: inbound topics in, one batch at a time per partition to
 * runBatch (batch-run.ts: per-key order, what is committed, when a batch stops), with rebalances
 * detected by RebalanceWatch (rebalance-watch.ts). This class joins the group, rejoins after crashes
 * kafkajs does not recover from, takes over from a crashed incarnation of itself, pauses a partition
 * while a transient failure holds it, and leaves on stop.
 */
export class IngestConsumer {
  private readonly options: IngestConsumerOptions;
  private readonly consumer: Consumer;
  private readonly stalls = new Map<string, number>();
  private readonly stopping = new AbortController();
  private readonly rebalances = new RebalanceWatch();
  private readonly batches: BatchContext;
  private joined = false;
  /** Joins so far: a batch commits only within the generation it was fetched in. */
  private generation = 0;

  constructor(options: IngestConsumerOptions) {
    this.options = options;
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
      // Also how soon a running batch hears of a rebalance, which waits for it (see runBatch).
      heartbeatInterval: Math.min(500, Math.floor(options.sessionTimeoutMs / 3)),
      // kafkajs restarts a crashed consumer itself (after a broker outage, say) with a new member id, while
      // the broker, once back, still lists the old one: evict it first, or the rejoin waits out its session.
      retry: { restartOnFailure: () => this.beforeRestart() },
    });
    this.batches = {
      groupId: options.groupId,
      processor: options.processor,
      executor: new KeyOrderedExecutor(options.maxInFlight),
      maxInFlight: options.maxInFlight,
      logger: options.logger,
      metrics: options.metrics,
      rebalances: this.rebalances,
      commits: new CommitLedger(),
      generation: () => this.generation,
      stopping: this.stopping.signal,
      commitOffsets: (offsets) => this.consumer.commitOffsets(offsets),
      setStalled: (topic, partition, stalled) => this.setStalled(topic, partition, stalled),
    };
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.joined = true;
      this.generation += 1;
      options.metrics.groupJoins.inc();
      const paused = this.rebalances.onJoined();
      if (paused !== undefined) options.metrics.rebalancePause.observe(paused);
      options.logger.info({ groupId: options.groupId, memberId: payload.memberId, assignment: payload.memberAssignment }, 'joined consumer group');
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.joined = false;
      options.logger.error({ error: payload.error.message, restart: payload.restart }, 'consumer crashed');
      if (!payload.restart && !this.stopping.signal.aborted) void this.rejoinAfterFatalCrash();
    });
    this.consumer.on(this.consumer.events.REBALANCING, () => {
      this.joined = false;
      this.rebalances.onRebalancing();
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
      eachBatch: (payload) => runBatch(payload, this.batches),
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
