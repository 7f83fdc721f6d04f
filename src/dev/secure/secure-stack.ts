import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '../../config/config.ts';
import { grantAccess } from '../../kafka/access.ts';
import { ensureTopics } from '../../kafka/client.ts';
import { accessPlan, KAFKA_ROLES, type KafkaRole } from '../../service/access-plan.ts';
import { topicPlan } from '../../service/topic-plan.ts';
import type { CachePaths } from '../native/paths.ts';
import type { NativePorts } from '../native/services.ts';
import { KAFKA_ADMIN_USER, kafkaUserOf, REGISTRY_USERS, secureMaterial } from './material.ts';
import { secureKafkaClient } from './secure-services.ts';

export interface SecureStack {
  kafkaBrokers: string;
  temporalAddress: string;
  schemaRegistryUrl: string;
  /** Each role's environment for the secured endpoints, and the admin's (a super user, for set-up only). */
  env: Record<KafkaRole | 'admin', Record<string, string>>;
  /** The same, as files to source: `set -a; . <file>; set +a`. */
  envFiles: Record<KafkaRole | 'admin', string>;
}

/**
 * Sets the secured broker up as its admin: the planned topics unless `createTopics` is false (roles
 * run with KAFKA_CREATE_TOPICS=off, as in production) and each role's ACLs from the access plan. Then writes
 * each role's environment. Idempotent: existing topics and ACLs stay.
 */
export async function bootstrapSecureStack(paths: CachePaths, ports: NativePorts, progress: (line: string) => void, options: { configEnv?: Record<string, string>; createTopics?: boolean } = {}): Promise<SecureStack> {
  const material = secureMaterial(paths);
  const config = loadConfig(options.configEnv ?? {});
  const kafkaBrokers = `127.0.0.1:${ports.kafkaSecure}`;
  const admin = new Kafka({ clientId: 'oms-secure-setup', brokers: [kafkaBrokers], ...secureKafkaClient(material, KAFKA_ADMIN_USER, material.kafkaPasswords.admin), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    if (options.createTopics !== false) await ensureTopics(admin, topicPlan(config));
    for (const access of accessPlan(config)) await grantAccess(admin, access.principal, access.grants);
  } finally {
    await admin.disconnect();
  }
  const stack = {
    kafkaBrokers,
    temporalAddress: `127.0.0.1:${ports.temporalTls}`,
    schemaRegistryUrl: `http://127.0.0.1:${ports.registryAuth}/apis/ccompat/v7`,
  };
  const envOf = (role: KafkaRole | 'admin'): Record<string, string> => {
    const user = kafkaUserOf(role);
    const registryUser = (REGISTRY_USERS as readonly string[]).includes(user) ? user : undefined;
    return {
      KAFKA_BROKERS: stack.kafkaBrokers,
      KAFKA_SSL_CA_PATH: material.files.ca,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: user,
      KAFKA_SASL_PASSWORD: material.kafkaPasswords[role],
      KAFKA_CREATE_TOPICS: 'off',
      TEMPORAL_ADDRESS: stack.temporalAddress,
      TEMPORAL_TLS_CLIENT_CERT_PATH: material.files.clientCert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: material.files.clientKey,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: material.files.ca,
      SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
      ...(registryUser ? { SCHEMA_REGISTRY_USERNAME: registryUser, SCHEMA_REGISTRY_PASSWORD: material.registryPasswords[registryUser as (typeof REGISTRY_USERS)[number]] } : {}),
    };
  };
  const roles = ['admin', ...KAFKA_ROLES] as const;
  const env = Object.fromEntries(roles.map((role) => [role, envOf(role)])) as SecureStack['env'];
  const dir = path.join(paths.run, 'secure');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const envFiles = Object.fromEntries(roles.map((role) => [role, path.join(dir, `${role}.env`)])) as SecureStack['envFiles'];
  for (const role of roles) {
    await writeFile(envFiles[role], `${Object.entries(env[role]).map(([name, value]) => `${name}=${value}`).join('\n')}\n`, { mode: 0o600 });
  }
  progress(`secured stack: topics and ACLs in place; each role's environment is in ${dir}`);
  return { ...stack, env, envFiles };
}
