import type { Config } from '../config/config.ts';
import { dlqTopicFor } from '../ingest/dead-letter.ts';
import { topicPlan } from './topic-plan.ts';

/** The roles that hold Kafka credentials of their own; the admin that sets the cluster up is not one of them. */
export const KAFKA_ROLES = ['ingest', 'worker', 'gateway', 'operator'] as const;
export type KafkaRole = (typeof KAFKA_ROLES)[number];

/** The principal each role runs as, unless told otherwise: `oms-<role>`. */
export const defaultKafkaUser = (role: KafkaRole) => `oms-${role}`;

export type AclOperation = 'READ' | 'WRITE' | 'CREATE' | 'DELETE' | 'DESCRIBE';

export interface AclGrant {
  resource: 'topic' | 'group';
  name: string;
  /** `prefixed`: every resource whose name starts with `name` (the operator's throw-away groups). */
  pattern: 'literal' | 'prefixed';
  operations: AclOperation[];
  /** What the role does with it, for the plan's reader. */
  why: string;
}

export interface RoleAccess {
  role: KafkaRole;
  principal: string;
  grants: AclGrant[];
}

/** The throw-away consumer groups of the operator's commands: replay, redrive and `oms order` read through `oms-replay-*`, `oms tail` through `oms-tail-*`. */
export const OPERATOR_GROUP_PREFIXES = ['oms-replay-', 'oms-tail-'];

const topicGrants = (names: string[], operations: AclOperation[], why: string): AclGrant[] => names.map((name) => ({ resource: 'topic', name, pattern: 'literal', operations, why }));

/**
 * The least each role needs, for the configured topics and group. READ and WRITE imply DESCRIBE in
 * Kafka's authorizer, and WRITE on any topic allows an idempotent producer (Kafka 3.0+), so no role
 * needs a cluster ACL. What `oms acl plan` prints, what deploy/'s KafkaUsers hold, what the secured
 * local stack grants, and what each role checks at start.
 */
export function accessPlan(config: Config, user: (role: KafkaRole) => string = defaultKafkaUser): RoleAccess[] {
  const { topics } = config;
  const inbound = [topics.orderEvents, topics.paymentEvents, topics.supportCommands];
  const all = topicPlan(config).map((topic) => topic.name);
  const grants: Record<KafkaRole, AclGrant[]> = {
    ingest: [
      { resource: 'group', name: config.ingest.groupId, pattern: 'literal', operations: ['READ'], why: 'join the ingest group, commit its offsets' },
      ...topicGrants(inbound, ['READ'], 'consume the inbound events'),
      ...topicGrants(inbound.map(dlqTopicFor), ['WRITE'], 'dead-letter poison events'),
    ],
    worker: topicGrants([topics.fulfillment, topics.orderStatus], ['WRITE'], 'publish fulfilment records and status changes'),
    gateway: topicGrants(inbound, ['WRITE'], 'write the webhooks it accepts'),
    operator: [
      ...topicGrants(all, ['READ', 'CREATE'], 'replay, redrive, tail and look up orders; `oms topics apply`'),
      { resource: 'group', name: config.ingest.groupId, pattern: 'literal', operations: ['READ'], why: '`oms offsets reset` and `oms status` on the ingest group' },
      ...OPERATOR_GROUP_PREFIXES.map((prefix): AclGrant => ({ resource: 'group', name: prefix, pattern: 'prefixed', operations: ['READ', 'DELETE'], why: 'its short-lived reader groups, deleted after use' })),
    ],
  };
  return KAFKA_ROLES.map((role) => ({ role, principal: `User:${user(role)}`, grants: grants[role] }));
}

/** One role's access. */
export function roleAccess(config: Config, role: KafkaRole, user?: (role: KafkaRole) => string): RoleAccess {
  return accessPlan(config, user).find((access) => access.role === role)!;
}
