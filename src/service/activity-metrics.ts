import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { OrderMetrics } from '../observability/metrics.ts';

/**
 * Times every attempt of the activities it knows the group of, local ones included, and records its
 * attempt number: latency, errors and retries per group, from every worker.
 */
export function activityMetrics(metrics: Pick<OrderMetrics, 'activityDuration' | 'activityAttempt'>, groupOf: ReadonlyMap<string, string>): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const { activityType: activity, attempt } = ctx.info;
        const group = groupOf.get(activity);
        if (!group) return next(input);
        metrics.activityAttempt.observe({ group, activity }, attempt);
        const end = metrics.activityDuration.startTimer({ group, activity });
        try {
          const result: unknown = await next(input);
          end({ outcome: 'ok' });
          return result;
        } catch (error) {
          end({ outcome: 'failed' });
          throw error;
        }
      },
    },
  });
}
