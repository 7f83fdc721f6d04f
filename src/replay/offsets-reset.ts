import type { Admin } from 'kafkajs';

export interface ResetPosition {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Moves a stopped consumer group to the first message at or after `toMs` on every partition of its
 * topics (the end, where there is none). A group with members is refused: a live consumer would
 * overwrite the reset with its next commit, and it is the operator who must stop it first.
 */
export async function resetGroupOffsets(admin: Admin, groupId: string, toMs: number, onlyTopics?: string[]): Promise<ResetPosition[]> {
  const [group] = (await admin.describeGroups([groupId])).groups;
  if (group && group.members.length > 0) {
    throw new Error(
      `consumer group ${groupId} has ${group.members.length} active member(s) (state ${group.state}); stop its consumers before resetting offsets`,
    );
  }
  const topics = onlyTopics?.length ? onlyTopics : (await admin.fetchOffsets({ groupId })).map((entry) => entry.topic);
  if (topics.length === 0) throw new Error(`consumer group ${groupId} has no committed offsets; name its topics with --topic`);
  const positions: ResetPosition[] = [];
  for (const topic of topics) {
    const partitions = (await admin.fetchTopicOffsetsByTimestamp(topic, toMs)).map(({ partition, offset }) => ({ partition, offset }));
    await admin.setOffsets({ groupId, topic, partitions });
    positions.push(...partitions.map((p) => ({ topic, ...p })));
  }
  return positions;
}
