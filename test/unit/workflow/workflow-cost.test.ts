import { readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { expect, test } from 'vitest';
import { attemptsOf, costOf } from '../../support/workflow-cost.ts';

const saved = (name: string) => historyFromJSON(JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../logic/histories', name), 'utf8'))).events ?? [];

test('the cost counter on saved histories: patch markers and their TemporalChangeVersion upserts are history events but not Cloud actions; a retried payment adds its signal and timer', () => {
  // 53 events: 2 patch markers and 2 TemporalChangeVersion upserts among them; 1 start + 2 signals + 7 activity attempts billed.
  expect(costOf(saved('v2/normal.order.json'))).toEqual({ historyEvents: 53, workflowTasks: 8, activities: 7, signals: 2, timers: 0, markers: 2, cloudActions: 10 });
  expect(costOf(saved('v2/normal.payment.json'))).toEqual({ historyEvents: 20, workflowTasks: 3, activities: 2, signals: 1, timers: 0, markers: 1, cloudActions: 4 });
  expect(costOf(saved('v2/payment-retried.order.json'))).toEqual({ historyEvents: 59, workflowTasks: 9, activities: 7, signals: 3, timers: 1, markers: 2, cloudActions: 12 });
  // v1 runs took no patch: no markers.
  expect(costOf(saved('v1/normal.order.json')).markers).toBe(0);
});

test('local activities (v4) are markers, not activities: Cloud bills them once per workflow task that ran any; their attempts are read from the markers', () => {
  // The payment workflow: the start, its signal, and one workflow task that ran the question and settlePayment.
  const payment = saved('v4/normal.payment.json');
  expect(costOf(payment)).toEqual({ historyEvents: 10, workflowTasks: 1, activities: 0, signals: 1, timers: 0, markers: 3, cloudActions: 3 });
  expect(attemptsOf(payment, 'settlePayment')).toEqual([1]);
  expect(attemptsOf(payment, 'localActivityGroups')).toEqual([1]);
  // The same step on a queue (v3): its attempt from the task's start event.
  expect(attemptsOf(saved('v3/normal.order.json'), 'checkOrder')).toEqual([1]);
  expect(attemptsOf(saved('v3/normal.order.json'), 'localActivityGroups')).toEqual([]);
});

test('the stage attribute (v5) costs two upserts, billed, for an order that waits, and nothing for one that never waits', () => {
  const waited = costOf(saved('v5/normal.order.json'));
  const before = costOf(saved('v4/normal.order.json'));
  expect(waited.historyEvents - before.historyEvents).toBe(2);
  expect(waited.cloudActions - before.cloudActions).toBe(2);
  expect(waited.workflowTasks).toBe(before.workflowTasks);
  expect(costOf(saved('v5/payment-first.order.json')).cloudActions).toBe(costOf(saved('v4/payment-first.order.json')).cloudActions);
});
