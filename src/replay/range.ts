import type { Admin } from 'kafkajs';

/**
 * A replay range edge: an ISO time (every partition, by message timestamp) or `partition:offset`
 * (that partition only). `--from` is inclusive and `--to` exclusive, for both forms:
 * `--from 2026-11-21T10:00:00Z --to 2026-11-21T11:00:00Z` is exactly the messages stamped in that hour.
 */
export type Edge = { kind: 'time'; ms: number; text: string } | { kind: 'offset'; partition: number; offset: bigint; text: string };

export class ReplayRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayRangeError';
  }
}

export function parseEdge(text: string, option: string): Edge {
  const offset = /^(\d+):(\d+)$/.exec(text);
  if (offset) return { kind: 'offset', partition: Number(offset[1]), offset: BigInt(offset[2]!), text };
  const ms = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(ms)) return { kind: 'time', ms, text };
  throw new ReplayRangeError(`${option}: expected an ISO time (2026-11-21T10:00:00Z) or partition:offset (2:1500), got "${text}"`);
}

/** [start, end) offsets per partition; partitions outside the range are absent. */
export interface PartitionRange {
  partition: number;
  start: bigint;
  end: bigint;
}

async function offsetsAt(admin: Admin, topic: string, ms: number): Promise<Map<number, bigint>> {
  // The first offset whose timestamp is >= ms (the partition end if none).
  const found = await admin.fetchTopicOffsetsByTimestamp(topic, ms);
  return new Map(found.map((p) => [p.partition, BigInt(p.offset)]));
}

export async function resolveRange(admin: Admin, topic: string, from: Edge, to?: Edge): Promise<PartitionRange[]> {
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, { low: BigInt(p.low), high: BigInt(p.high) }]));
  if (from.kind === 'offset' && !ends.has(from.partition)) throw new ReplayRangeError(`--from: ${topic} has no partition ${from.partition}`);
  if (to?.kind === 'offset' && from.kind === 'offset' && to.partition !== from.partition) {
    throw new ReplayRangeError('--from and --to name different partitions; an offset range covers one partition');
  }
  const starts = from.kind === 'time' ? await offsetsAt(admin, topic, from.ms) : new Map([[from.partition, from.offset]]);
  const stops = to?.kind === 'time' ? await offsetsAt(admin, topic, to.ms) : undefined;
  const ranges: PartitionRange[] = [];
  for (const [partition, start] of starts) {
    const bounds = ends.get(partition)!;
    let end = bounds.high;
    if (stops) end = stops.get(partition) ?? end;
    if (to?.kind === 'offset' && to.partition === partition) end = to.offset;
    const from_ = start < bounds.low ? bounds.low : start;
    const to_ = end > bounds.high ? bounds.high : end;
    ranges.push({ partition, start: from_, end: to_ > from_ ? to_ : from_ });
  }
  return ranges.sort((a, b) => a.partition - b.partition);
}

export const rangeSize = (ranges: PartitionRange[]) => ranges.reduce((sum, r) => sum + Number(r.end - r.start), 0);
