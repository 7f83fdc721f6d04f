import type { Config, Env } from '../config/config.ts';
import { ACTIVITY_GROUPS } from '../contract/workflows.ts';

/** What one worker process can run: the workflows, and each activity group by the system it calls. */
export const WORKER_GROUPS = ['workflows', ...ACTIVITY_GROUPS] as const;
export type WorkerGroup = (typeof WORKER_GROUPS)[number];

export function parseWorkerGroups(list: string | undefined): WorkerGroup[] {
  if (!list) return [...WORKER_GROUPS];
  const groups = list.split(',').map((group) => group.trim());
  const unknown = groups.filter((group) => !(WORKER_GROUPS as readonly string[]).includes(group));
  if (unknown.length > 0) throw new Error(`--queues: unknown group ${unknown.join(', ')}; expected some of ${WORKER_GROUPS.join(', ')}`);
  return groups as WorkerGroup[];
}

/** What the chosen groups need from config: checked before anything starts, all at once. */
export function workerNeeds(config: Config, groups: readonly WorkerGroup[]): [keyof Env, unknown][] {
  const needs: [keyof Env, unknown][] = [['TEMPORAL_ADDRESS', config.temporal.address]];
  if (groups.includes('storefront')) needs.push(['STOREFRONT_BASE_URL', config.storefront.baseUrl]);
  if (groups.includes('payment')) needs.push(['PAYMENT_PROVIDER_BASE_URL', config.paymentProvider.baseUrl]);
  if (groups.includes('fulfillment')) {
    needs.push(['KAFKA_BROKERS', config.kafka.brokers], ['SCHEMA_REGISTRY_URL', config.schemaRegistry.url], ['STOREFRONT_BASE_URL', config.storefront.baseUrl]);
  }
  if (groups.includes('notification')) needs.push(['NOTIFICATION_BASE_URL', config.notification.baseUrl]);
  if (groups.includes('risk')) needs.push(['RISK_BASE_URL', config.risk.baseUrl]);
  return needs;
}
