import { asyncLocalStorage } from '@temporalio/activity';

/**
 * Temporal's activity logger: a line carries the activity's ids and, traced, its trace's. Called outside
 * an activity (a test driving the function directly), it writes nothing.
 */
export const activityLog = {
  debug(message: string, attributes: Record<string, unknown>): void {
    asyncLocalStorage.getStore()?.log.debug(message, attributes);
  },
};
