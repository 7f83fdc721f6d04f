import { describe, expect, test } from 'vitest';
import { CommitLedger, mayCommit, stopsHandingOut } from '../../../src/ingest/batch-run.ts';
import { RebalanceWatch, type Rebalance } from '../../../src/ingest/rebalance-watch.ts';

const coordinatorAnswer = (type: string) => Object.assign(new Error(`The coordinator says ${type}`), { type });

describe('what a batch commits', () => {
  const rebalancing: Rebalance = { error: new Error('rebalancing'), evicted: false, at: 0 };
  const evicted: Rebalance = { error: new Error('evicted'), evicted: true, at: 0 };

  test('within the generation it was fetched in, also while a rebalance is on (the partition is still its own)', () => {
    expect(mayCommit(3, 3, undefined)).toBe(true);
    expect(mayCommit(3, 3, rebalancing)).toBe(true);
  });

  test('nothing once the member joined again, or the group moved on without it', () => {
    expect(mayCommit(3, 4, undefined)).toBe(false);
    expect(mayCommit(3, 3, evicted)).toBe(false);
  });

  test('a position already committed for a partition is not committed again; partitions are apart', () => {
    const ledger = new CommitLedger();
    expect(ledger.isNew('orders:0', '10')).toBe(true);
    ledger.committed('orders:0', '10');
    expect(ledger.isNew('orders:0', '10')).toBe(false);
    expect(ledger.isNew('orders:0', '11')).toBe(true);
    expect(ledger.isNew('orders:1', '10')).toBe(true);
    expect(ledger.lastOf('orders:0')).toBe('10');
  });
});

describe('when a batch stops handing out messages', () => {
  const running = { isRunning: () => true, isStale: () => false };
  test('it goes on while it runs, is fresh, hears of no rebalance and ingest is not stopping', () => {
    expect(stopsHandingOut(running, undefined, new AbortController().signal)).toBe(false);
  });
  test('it stops for each of the four reasons', () => {
    const live = new AbortController().signal;
    expect(stopsHandingOut({ ...running, isRunning: () => false }, undefined, live)).toBe(true);
    expect(stopsHandingOut({ ...running, isStale: () => true }, undefined, live)).toBe(true);
    expect(stopsHandingOut(running, { error: new Error('x'), evicted: false, at: 0 }, live)).toBe(true);
    expect(stopsHandingOut(running, undefined, AbortSignal.abort())).toBe(true);
  });
});

describe('rebalance detection from heartbeat answers', () => {
  test('REBALANCE_IN_PROGRESS revokes; ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID also evict; other failures change nothing', () => {
    for (const [type, evictedToo] of [['REBALANCE_IN_PROGRESS', false], ['ILLEGAL_GENERATION', true], ['UNKNOWN_MEMBER_ID', true]] as const) {
      const watch = new RebalanceWatch(() => 0);
      const heard = watch.onHeartbeatFailure(coordinatorAnswer(type));
      expect(heard?.evicted, type).toBe(evictedToo);
      expect(watch.pending()).toBe(heard);
    }
    const watch = new RebalanceWatch(() => 0);
    expect(watch.onHeartbeatFailure(coordinatorAnswer('REQUEST_TIMED_OUT'))).toBeUndefined();
    expect(watch.onHeartbeatFailure(new Error('Connection closed'))).toBeUndefined();
    expect(watch.pending()).toBeUndefined();
  });

  test('a batch throws the coordinator answer it heard, so kafkajs rejoins; nothing before it', () => {
    const watch = new RebalanceWatch(() => 0);
    expect(() => watch.throwIfHeard()).not.toThrow();
    const answer = coordinatorAnswer('REBALANCE_IN_PROGRESS');
    watch.onHeartbeatFailure(answer);
    expect(() => watch.throwIfHeard()).toThrow(answer);
    watch.onJoined();
    expect(() => watch.throwIfHeard()).not.toThrow();
  });

  test('the first answer is the news: a later one neither replaces it nor is reported again', () => {
    const watch = new RebalanceWatch(() => 0);
    const first = watch.onHeartbeatFailure(coordinatorAnswer('REBALANCE_IN_PROGRESS'));
    expect(watch.onHeartbeatFailure(coordinatorAnswer('UNKNOWN_MEMBER_ID'))).toBeUndefined();
    expect(watch.pending()).toBe(first);
    expect(watch.pending()?.evicted).toBe(false);
  });

  test('in-flight work gets its grace from the moment the rebalance was heard of; joining again ends it and reports the pause', () => {
    let now = 1_000;
    const watch = new RebalanceWatch(() => now);
    expect(watch.graceOver(1_000)).toBe(false);
    watch.onHeartbeatFailure(coordinatorAnswer('REBALANCE_IN_PROGRESS'));
    now = 1_999;
    expect(watch.graceOver(1_000)).toBe(false);
    now = 2_000;
    expect(watch.graceOver(1_000)).toBe(true);
    now = 4_500;
    expect(watch.onJoined()).toBe(3.5);
    expect(watch.pending()).toBeUndefined();
    expect(watch.onJoined()).toBeUndefined();
  });

  test('a rebalance kafkajs heard of itself is timed from then, and not taken for one a batch must stop for', () => {
    let now = 0;
    const watch = new RebalanceWatch(() => now);
    watch.onRebalancing();
    expect(watch.pending()).toBeUndefined();
    now = 250;
    expect(watch.onJoined()).toBe(0.25);
  });
});
