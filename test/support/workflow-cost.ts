import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

const { EventType } = proto.temporal.api.enums.v1;
type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

/** What one workflow run cost the Temporal server, read from its raw history. */
export interface WorkflowCost {
  historyEvents: number;
  workflowTasks: number;
  activities: number;
  signals: number;
  timers: number;
  markers: number;
  /** Temporal Cloud actions, as Temporal counts them (docs.temporal.io/cloud/actions, listed below). */
  cloudActions: number;
}

/** An upsert that only sets TemporalChangeVersion (what patched() writes) is not a billed action. */
function billedUpsert(event: HistoryEvent): boolean {
  const fields = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
  return Object.keys(fields).some((name) => name !== 'TemporalChangeVersion');
}

/**
 * Temporal Cloud's billed actions in a history: the start; each signal received; each timer
 * started; each activity attempt; each search-attribute upsert other than TemporalChangeVersion; each
 * signal sent and child started (2: the intent and the execution) by the workflow. Local activities
 * (markers) count once per workflow task that ran any; patch markers are not billed.
 */
export function costOf(events: HistoryEvent[]): WorkflowCost {
  const count = (type: proto.temporal.api.enums.v1.EventType) => events.filter((event) => event.eventType === type).length;
  const attempts = events
    .filter((event) => event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)
    .reduce((sum, event) => sum + Math.max(1, event.activityTaskStartedEventAttributes?.attempt ?? 1), 0);
  const localActivityTasks = new Set(
    events.filter((event) => event.eventType === EventType.EVENT_TYPE_MARKER_RECORDED && event.markerRecordedEventAttributes?.markerName === 'core_local_activity').map((event) => String(event.markerRecordedEventAttributes?.workflowTaskCompletedEventId)),
  ).size;
  return {
    historyEvents: events.length,
    workflowTasks: count(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
    activities: count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    signals: count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
    timers: count(EventType.EVENT_TYPE_TIMER_STARTED),
    markers: count(EventType.EVENT_TYPE_MARKER_RECORDED),
    cloudActions:
      count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) +
      count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) +
      count(EventType.EVENT_TYPE_TIMER_STARTED) +
      attempts +
      localActivityTasks +
      events.filter((event) => event.eventType === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES && billedUpsert(event)).length +
      count(EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED) +
      2 * count(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED),
  };
}

export async function workflowCost(client: Client, workflowId: string): Promise<WorkflowCost> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return costOf(history.events ?? []);
}

export const addCosts = (a: WorkflowCost, b: WorkflowCost): WorkflowCost =>
  Object.fromEntries(Object.keys(a).map((key) => [key, a[key as keyof WorkflowCost] + b[key as keyof WorkflowCost]])) as unknown as WorkflowCost;

/** The median of each count over many orders (each count on its own). */
export function medianCost(costs: WorkflowCost[]): WorkflowCost {
  const median = (values: number[]) => {
    const sorted = [...values].sort((x, y) => x - y);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  };
  return Object.fromEntries(Object.keys(costs[0]!).map((key) => [key, median(costs.map((cost) => cost[key as keyof WorkflowCost]))])) as unknown as WorkflowCost;
}

/**
 * The attempt each run of an activity type reached, read from the history: from its task's start
 * event on a queue, or from its marker as a local activity (core writes the attempt into the marker's
 * `data`, as JSON).
 */
export function attemptsOf(events: HistoryEvent[], activityType: string): number[] {
  const scheduled = new Set(events.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === activityType).map((event) => String(event.eventId)));
  const onQueue = events.filter((event) => event.activityTaskStartedEventAttributes && scheduled.has(String(event.activityTaskStartedEventAttributes.scheduledEventId))).map((event) => event.activityTaskStartedEventAttributes!.attempt ?? 1);
  const local = events
    .filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity')
    .map((event) => JSON.parse(Buffer.from(event.markerRecordedEventAttributes!.details!.data!.payloads![0]!.data!).toString('utf8')) as { activity_type?: string; activityType?: string; attempt?: number })
    .filter((data) => (data.activity_type ?? data.activityType) === activityType)
    .map((data) => data.attempt ?? 1);
  return [...onQueue, ...local];
}
