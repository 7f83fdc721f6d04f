import type { Kafka } from 'kafkajs';
import { privateCluster } from '../kafka/private-cluster.ts';
import type { Logger } from '../observability/logger.ts';

/**
 * A restarted ingest process takes over the partitions of its own previous incarnation at once,
 * instead of waiting for that dead member's session to expire.
 *
 * Why not just a short session timeout: the coordinator only hands a dead member's partitions on
 * when its session expires, and brokers refuse sessions under `group.min.session.timeout.ms` (6 s by
 * default), so after a SIGKILL nothing would flow for 6 to 10 s, more with start-up. A short session
 * also turns every long GC pause into a rebalance. kafkajs has no static membership (KIP-345), which
 * is Kafka's own answer; this is the same idea by hand: every instance has a stable identity
 * (INGEST_INSTANCE_ID, the host name by default: a pod's name survives a container restart), which
 * is its Kafka client id. Before joining, a process asks the coordinator for the group's members and
 * sends a LeaveGroup for each one with its own client id: those can only be earlier incarnations of
 * itself. The trade-off: two live processes given the same instance id evict each other at each
 * start (a rebalance each time; no loss, since commits are fenced by generation), so the id must be
 * unique per instance.
 */
export async function takeOverEarlierIncarnations(kafka: Kafka, groupId: string, clientId: string, logger: Logger): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  let stale: string[];
  try {
    const { groups } = await admin.describeGroups([groupId]);
    stale = (groups[0]?.members ?? []).filter((member) => member.clientId === clientId).map((member) => member.memberId);
  } finally {
    await admin.disconnect();
  }
  if (stale.length === 0) return [];

  const cluster = privateCluster(kafka);
  await cluster.connect();
  try {
    const coordinator = await cluster.findGroupCoordinator({ groupId });
    for (const memberId of stale) {
      await coordinator.leaveGroup({ groupId, memberId });
      logger.info({ groupId, memberId, clientId }, 'evicted an earlier incarnation of this instance from the consumer group');
    }
  } finally {
    await cluster.disconnect();
  }
  return stale;
}
