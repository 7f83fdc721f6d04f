import { readFileSync } from 'node:fs';
import type tls from 'node:tls';
import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import type { Config } from '../config/config.ts';
import { tlsHandshakeFailure, UNTRUSTED_CERTIFICATE } from '../config/tls-probe.ts';
import { privateCluster } from './private-cluster.ts';

/** A resource a role must be allowed to use, and what it does with it (the first operation names it in errors). */
export interface ResourceNeed {
  resource: 'topic' | 'group';
  name: string;
  pattern: 'literal' | 'prefixed';
  operations: readonly string[];
}

/** The principal the broker sees: the SASL user, or ANONYMOUS on a listener without authentication. */
export const kafkaPrincipal = (config: Config) => `User:${config.kafka.sasl?.username ?? 'ANONYMOUS'}`;

export class KafkaAccessError extends Error {
  override name = 'KafkaAccessError';
}

/** The TLS options kafkajs is given: the configured CA, or the system's trust. */
export function kafkaTls(config: Config): boolean | tls.ConnectionOptions {
  if (!config.kafka.ssl) return false;
  if (config.kafka.sslCaPath === undefined) return true;
  try {
    return { ca: [readFileSync(config.kafka.sslCaPath, 'utf8')] };
  } catch (error) {
    throw new KafkaAccessError(`KAFKA_SSL_CA_PATH: cannot read ${config.kafka.sslCaPath} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

const untrusted = (code: string) => UNTRUSTED_CERTIFICATE.has(code) || code === 'ERR_TLS_CERT_ALTNAME_INVALID';
const untrustedLine = (broker: string, code: string) =>
  `KAFKA: the certificate of broker ${broker} is not trusted (${code}): set KAFKA_SSL_CA_PATH to the CA that signed it${code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? ', and connect by a name the certificate holds' : ''}`;
const mayNot = (principal: string, operation: string, resource: string, name: string | undefined) => `KAFKA: ${principal} may not ${operation} ${resource} ${name}`;

/**
 * One TLS handshake with the first broker before kafkajs connects: kafkajs treats a refused
 * certificate as a connection error and retries it, though no retry can fix it. A broker that is
 * down is left to kafkajs's retries.
 */
export async function checkBrokerTrust(config: Config): Promise<void> {
  const options = kafkaTls(config);
  const broker = config.kafka.brokers?.[0];
  if (options === false || broker === undefined) return;
  const code = await tlsHandshakeFailure(broker, options === true ? {} : options);
  if (code !== undefined && untrusted(code)) throw new KafkaAccessError(untrustedLine(broker, code));
}

const protocolType = (error: unknown) => (error as { type?: string }).type;

/**
 * Asks the broker, one request per resource, whether the role's principal may use what it needs:
 * FindCoordinator for a group, Metadata for a topic. Either answers an authorization error at once,
 * where kafkajs's own calls retry or hide it. Kafka's authorizer lets a principal describe a resource
 * it may read or write, so a refusal here means the first operation needed is refused too. A topic
 * that doesn't exist yet passes (ensureTopics deals with it); prefixed grants have no name to ask about.
 */
export async function checkKafkaAccess(kafka: Kafka, principal: string, needs: readonly ResourceNeed[]): Promise<void> {
  const cluster = privateCluster(kafka);
  await cluster.connect();
  try {
    await cluster.refreshMetadata();
    const broker = await cluster.findControllerBroker();
    for (const need of needs.filter((candidate) => candidate.pattern === 'literal')) {
      try {
        if (need.resource === 'group') await broker.findGroupCoordinator({ groupId: need.name, coordinatorType: 0 });
        else await broker.metadata([need.name]);
      } catch (error) {
        const type = protocolType(error);
        if (type === 'GROUP_AUTHORIZATION_FAILED' || type === 'TOPIC_AUTHORIZATION_FAILED') throw new KafkaAccessError(mayNot(principal, need.operations[0]!, need.resource, need.name));
        if (type === 'UNKNOWN_TOPIC_OR_PARTITION' || type === 'COORDINATOR_NOT_AVAILABLE' || type === 'GROUP_COORDINATOR_NOT_AVAILABLE') continue;
        throw error;
      }
    }
  } finally {
    await cluster.disconnect();
  }
}

/** kafkajs's errors at start, as one line that says what to fix; anything else unchanged. */
export function explainKafkaFailure(error: unknown, config: Config): unknown {
  if (error instanceof KafkaAccessError) return error;
  const name = (error as Error | undefined)?.name;
  if (name === 'KafkaJSSASLAuthenticationError') {
    return new KafkaAccessError(`KAFKA: ${kafkaPrincipal(config)} could not log in (SASL ${config.kafka.sasl?.mechanism.toUpperCase()}): check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`);
  }
  // createTopics fails with an aggregate of one error per topic.
  const refusedTopic = ((error as { errors?: unknown[] }).errors ?? []).find((entry) => (entry as Error).name === 'KafkaJSCreateTopicError' && protocolType(entry) === 'TOPIC_AUTHORIZATION_FAILED') as { topic?: string } | undefined;
  if (refusedTopic) return new KafkaAccessError(mayNot(kafkaPrincipal(config), 'CREATE', 'topic', refusedTopic.topic));
  for (let cause: unknown = error; cause; cause = (cause as { cause?: unknown }).cause) {
    const code = (cause as { code?: string }).code;
    if (code !== undefined && untrusted(code)) return new KafkaAccessError(untrustedLine(config.kafka.brokers?.[0] ?? '?', code));
    const type = protocolType(cause);
    if (type === 'TOPIC_AUTHORIZATION_FAILED' || type === 'GROUP_AUTHORIZATION_FAILED' || type === 'CLUSTER_AUTHORIZATION_FAILED') {
      return new KafkaAccessError(`KAFKA: ${kafkaPrincipal(config)} was refused: ${type} (${(cause as Error).message}); see \`oms acl plan\` for what each role needs`);
    }
  }
  return error;
}

/** Grants `needs` to `principal` (an admin's client: the secured local stack's set-up). */
export async function grantAccess(admin: Admin, principal: string, needs: readonly ResourceNeed[]): Promise<void> {
  const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;
  await admin.createAcls({
    acl: needs.flatMap((need) =>
      need.operations.map((operation) => ({
        resourceType: need.resource === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
        resourceName: need.name,
        resourcePatternType: need.pattern === 'prefixed' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
        principal,
        host: '*',
        operation: AclOperationTypes[operation as keyof typeof AclOperationTypes],
        permissionType: AclPermissionTypes.ALLOW,
      })),
    ),
  });
}
