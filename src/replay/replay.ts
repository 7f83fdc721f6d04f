import type { Kafka } from 'kafkajs';
import type { InboundEvent } from '../event/envelope.ts';
import type { EventProcessingError } from '../event/errors.ts';
import { DLQ_HEADERS, DLQ_SUFFIX, type DeadLetterSource } from '../ingest/dead-letter.ts';
import { KeyOrderedExecutor } from '../ingest/key-ordered-executor.ts';
import type { EventProcessor } from '../ingest/processor.ts';
import { routeEvent, type RouterSettings } from '../router/routes.ts';
import { readRange, type RangeMessage } from './reader.ts';
import { rangeSize, resolveRange, type Edge } from './range.ts';
import { startProgress } from './progress.ts';

export interface ReplaySummary {
  read: number;
  /** Signalled (a new run for a closed order, a deduplicated signal for a running one); in a dry run, would be. */
  reprocessed: number;
  skippedByFilter: number;
  /** Events for closed workflows in a re-drive (live semantics): recorded, not re-run. */
  late: number;
  failed: number;
  failures: Record<string, number>;
  /** Dry run: what would have been done, one line per event. */
  plan: string[];
  /** From the first message read to the last one handled: the replay rate's denominator. */
  seconds: number;
  /** Before the first message: resolving the range and joining the short-lived consumer's group. */
  startupSeconds: number;
}

export interface ReplayDeps {
  kafka: Kafka;
  processor: EventProcessor;
  router: RouterSettings;
  maxInFlight: number;
  /** Progress bar or lines go here (stderr by default). */
  progressStream?: NodeJS.WriteStream;
}

export interface ReplayRequest {
  topic: string;
  from: Edge;
  to?: Edge;
  orders?: string[];
  types?: string[];
  dryRun?: boolean;
}

function emptySummary(): ReplaySummary {
  return { read: 0, reprocessed: 0, skippedByFilter: 0, late: 0, failed: 0, failures: {}, plan: [], seconds: 0, startupSeconds: 0 };
}

function fail(summary: ReplaySummary, reason: string): void {
  summary.failed += 1;
  summary.failures[reason] = (summary.failures[reason] ?? 0) + 1;
}

const sourceOf = ({ topic, partition, message }: RangeMessage): DeadLetterSource => ({
  topic,
  partition,
  offset: message.offset,
  timestamp: message.timestamp,
  message,
});

/**
 * Shared by replay and re-drive: resolve the range, read it with a throw-away consumer, run each
 * message through `handle` (same-order messages one after another, others in parallel), show progress.
 */
async function runOverRange(
  deps: ReplayDeps,
  label: string,
  topic: string,
  from: Edge,
  to: Edge | undefined,
  handle: (entry: RangeMessage, summary: ReplaySummary) => Promise<void>,
): Promise<ReplaySummary> {
  const admin = deps.kafka.admin();
  await admin.connect();
  const ranges = await resolveRange(admin, topic, from, to).finally(() => admin.disconnect());
  const summary = emptySummary();
  const executor = new KeyOrderedExecutor(deps.maxInFlight);
  const progress = startProgress(label, rangeSize(ranges), deps.progressStream);
  const started = performance.now();
  let firstRead: number | undefined;
  try {
    await readRange(deps.kafka, topic, ranges, (entry) =>
      executor.submit(entry.message.key?.toString('utf8') ?? '', async () => {
        firstRead ??= performance.now();
        summary.read += 1;
        await handle(entry, summary);
        progress.tick();
      }),
    );
  } finally {
    progress.stop();
  }
  const ended = performance.now();
  summary.startupSeconds = ((firstRead ?? ended) - started) / 1_000;
  summary.seconds = (ended - (firstRead ?? ended)) / 1_000;
  return summary;
}

/**
 * `oms replay`: re-submits a range of an inbound topic through the router in reprocess mode.
 * A closed order workflow is run again; a running one gets the signal and deduplicates it.
 * Permanent failures are reported in the summary (they are on the DLQ from live ingest already).
 */
export async function replayTopic(deps: ReplayDeps, request: ReplayRequest, signal: AbortSignal): Promise<ReplaySummary> {
  const orders = request.orders?.length ? new Set(request.orders) : undefined;
  const types = request.types?.length ? new Set(request.types) : undefined;
  return runOverRange(deps, request.dryRun ? 'replay (dry run)' : 'replay', request.topic, request.from, request.to, async (entry, summary) => {
    // The key is the order id: an --order filter needs no decoding.
    if (orders && !orders.has(entry.message.key?.toString('utf8') ?? '')) return void summary.skippedByFilter++;
    const source = sourceOf(entry);
    let event: InboundEvent;
    try {
      event = deps.processor.decode(source);
    } catch (error) {
      return fail(summary, (error as EventProcessingError).reason ?? 'unexpected');
    }
    if (types && !types.has(event.type)) return void summary.skippedByFilter++;
    if (request.dryRun) {
      const command = routeEvent(event, deps.router, 'reprocess');
      summary.plan.push(`${entry.partition}:${entry.message.offset} ${event.type} ${event.id} -> signal-with-start ${command.workflowType} ${command.workflowId} (${command.signalName})`);
      summary.reprocessed += 1;
      return;
    }
    const outcome = await deps.processor.deliver(event, source, { mode: 'reprocess', signal, trace: 'link' });
    if (outcome.kind === 'signalled') summary.reprocessed += 1;
    else if (outcome.kind === 'late') summary.late += 1;
    else fail(summary, outcome.error.reason);
  }).then((summary) => {
    // Orders are handled side by side; print the plan in log order.
    summary.plan.sort((a, b) => {
      const [pa, oa] = a.split(' ')[0]!.split(':').map(BigInt) as [bigint, bigint];
      const [pb, ob] = b.split(' ')[0]!.split(':').map(BigInt) as [bigint, bigint];
      return pa === pb ? (oa < ob ? -1 : 1) : pa < pb ? -1 : 1;
    });
    return summary;
  });
}

/** A dead letter as it was before it failed: its original topic, position and headers. */
export function originalOf(entry: RangeMessage): DeadLetterSource {
  const headers = entry.message.headers ?? {};
  const text = (name: string) => headers[name]?.toString();
  const ours = new Set<string>(Object.values(DLQ_HEADERS));
  return {
    topic: text(DLQ_HEADERS.originalTopic) ?? (entry.topic.endsWith(DLQ_SUFFIX) ? entry.topic.slice(0, -DLQ_SUFFIX.length) : entry.topic),
    partition: Number(text(DLQ_HEADERS.originalPartition) ?? entry.partition),
    offset: text(DLQ_HEADERS.originalOffset) ?? entry.message.offset,
    timestamp: text(DLQ_HEADERS.originalTimestamp) ?? entry.message.timestamp,
    message: {
      key: entry.message.key,
      value: entry.message.value,
      headers: Object.fromEntries(Object.entries(headers).filter(([name]) => !ours.has(name))),
    },
  };
}

/**
 * `oms redrive`: sends dead letters back through the router with live semantics. One that fails
 * again goes back on the DLQ with the new reason (the processor dead-letters it under its original topic).
 */
export async function redrive(deps: ReplayDeps, request: { dlq: string; from: Edge; to?: Edge }, signal: AbortSignal): Promise<ReplaySummary> {
  return runOverRange(deps, 'redrive', request.dlq, request.from, request.to, async (entry, summary) => {
    const outcome = await deps.processor.process(originalOf(entry), { mode: 'live', signal, trace: 'link' });
    if (outcome.kind === 'signalled') summary.reprocessed += 1;
    else if (outcome.kind === 'late') summary.late += 1;
    else fail(summary, outcome.error.reason);
  });
}

export function formatSummary(summary: ReplaySummary, dryRun = false): string {
  const rate = summary.seconds > 0 ? (summary.read / summary.seconds).toFixed(0) : '0';
  const lines = [
    `read ${summary.read}, ${dryRun ? 'would reprocess' : 'reprocessed'} ${summary.reprocessed}, skipped by filter ${summary.skippedByFilter}, late ${summary.late}, failed ${summary.failed} (${rate} events/s over ${summary.seconds.toFixed(1)} s, after ${summary.startupSeconds.toFixed(1)} s to start)`,
    ...Object.entries(summary.failures).map(([reason, count]) => `  failed: ${count} x ${reason}`),
  ];
  return lines.join('\n');
}

