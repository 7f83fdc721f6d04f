import type { Kafka } from 'kafkajs';

/** A broker connection of kafkajs, with the requests we send it ourselves. */
export interface PrivateBroker {
  metadata(topics: string[]): Promise<unknown>;
  findGroupCoordinator(request: { groupId: string; coordinatorType?: number }): Promise<unknown>;
  leaveGroup(request: { groupId: string; memberId: string }): Promise<unknown>;
}

export interface PrivateCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  findControllerBroker(): Promise<PrivateBroker>;
  findGroupCoordinator(request: { groupId: string }): Promise<PrivateBroker>;
}

/**
 * kafkajs builds its cluster connections through a factory it keeps under a private symbol. We reach
 * for it twice: a LeaveGroup for another member (member takeover), and single requests whose error
 * code kafkajs's own retries would swallow (the access check at start). kafkajs 2.2.4 is its final
 * release, pinned by the lock file, so the internals cannot move under us. No topic is ever created
 * by a metadata request from here.
 */
export function privateCluster(kafka: Kafka): PrivateCluster {
  const factory = Object.getOwnPropertySymbols(kafka).find((symbol) => symbol.description === 'private:Kafka:createCluster');
  if (!factory) throw new Error('kafkajs has no private cluster factory: this needs kafkajs 2.2.x');
  const create = (kafka as unknown as Record<symbol, (options: object) => PrivateCluster>)[factory]!;
  return create({ allowAutoTopicCreation: false });
}
