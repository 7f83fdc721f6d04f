import { readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { expect, test } from 'vitest';
import { costOf } from '../../support/workflow-cost.ts';

const saved = (name: string) => historyFromJSON(JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../logic/histories', name), 'utf8'))).events ?? [];

test('the cost counter on saved histories: patch markers and their TemporalChangeVersion upserts are history events but not Cloud actions; a retried payment adds its signal and timer', () => {
  // 53 events: 2 patch markers and 2 TemporalChangeVersion upserts among them; 1 start + 2 signals + 7 activity attempts billed.
  expect(costOf(saved('v2/normal.order.json'))).toEqual({ historyEvents: 53, workflowTasks: 8, activities: 7, signals: 2, timers: 0, markers: 2, cloudActions: 10 });
  expect(costOf(saved('v2/normal.payment.json'))).toEqual({ historyEvents: 20, workflowTasks: 3, activities: 2, signals: 1, timers: 0, markers: 1, cloudActions: 4 });
  expect(costOf(saved('v2/payment-retried.order.json'))).toEqual({ historyEvents: 59, workflowTasks: 9, activities: 7, signals: 3, timers: 1, markers: 2, cloudActions: 12 });
  // v1 runs took no patch: no markers.
  expect(costOf(saved('v1/normal.order.json')).markers).toBe(0);
});
