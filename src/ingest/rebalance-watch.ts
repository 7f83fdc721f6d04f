/** Heartbeat answers that end this member's hold on its partitions: the group is rebalancing, or has moved on without it (evicted). */
const REVOKING = { REBALANCE_IN_PROGRESS: false, ILLEGAL_GENERATION: true, UNKNOWN_MEMBER_ID: true } as const;

export interface Rebalance {
  /** The coordinator's answer: a batch throws it so kafkajs rejoins at once. */
  error: Error;
  /** The group moved on without this member: it may commit nothing more. */
  evicted: boolean;
  /** When this member heard of it (performance.now()). */
  at: number;
}

/**
 * Rebalance detection. kafkajs revokes every partition on a rebalance (eager protocol), but it lets a
 * running batch run on, and rejoins only once every batch has returned; until then the whole group
 * waits. So batches learn of a rebalance here, from their heartbeats' answers, and stop; the pause
 * from the first sign of it to the next join is measured.
 */
export class RebalanceWatch {
  private current: Rebalance | undefined;
  private pausedAt: number | undefined;
  private readonly now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.now = now;
  }

  /** The rebalance this member has heard of and not yet rejoined after. */
  pending(): Rebalance | undefined {
    return this.current;
  }

  /** Throws the coordinator's answer once a rebalance is heard of: kafkajs then rejoins at once. */
  throwIfHeard(): void {
    if (this.current) throw this.current.error;
  }

  /** A heartbeat failed. Returns the rebalance its answer announces, when that is news; other failures change nothing. */
  onHeartbeatFailure(error: unknown): Rebalance | undefined {
    const type = (error as { type?: string }).type;
    if (this.current || type === undefined || !Object.hasOwn(REVOKING, type)) return undefined;
    this.current = { error: error as Error, evicted: REVOKING[type as keyof typeof REVOKING], at: this.now() };
    this.pausedAt ??= this.current.at;
    return this.current;
  }

  /** kafkajs stopped consuming to rejoin (a rebalance it heard of itself). */
  onRebalancing(): void {
    this.pausedAt ??= this.now();
  }

  /** Joined the group again: the rebalance is over. Returns how long consumption paused, in seconds, if it did. */
  onJoined(): number | undefined {
    this.current = undefined;
    const paused = this.pausedAt === undefined ? undefined : (this.now() - this.pausedAt) / 1_000;
    this.pausedAt = undefined;
    return paused;
  }

  /** Whether in-flight work has had `graceMs` since the rebalance was heard of. */
  graceOver(graceMs: number): boolean {
    return this.current !== undefined && this.now() - this.current.at >= graceMs;
  }
}
