import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KAFKA_ROLES, defaultKafkaUser, type KafkaRole } from '../../service/access-plan.ts';
import type { CachePaths } from '../native/paths.ts';
import { createCertificateAuthority } from './certificates.ts';

/** The secured stack's admin: a super user of the broker, for setting it up (topics, ACLs), never a role's. */
export const KAFKA_ADMIN_USER = 'oms-admin';
/** Who may use the registry behind its basic-auth proxy: the publishing workers and the operator. */
export const REGISTRY_USERS = ['oms-worker', 'oms-operator'] as const;

/** Files of the secured stack, PEM; what the roles are pointed at. */
export interface SecureFiles {
  dir: string;
  ca: string;
  /** The broker's key and certificate chain in one file, as Kafka's PEM key store reads it. */
  kafkaKeystore: string;
  temporalCert: string;
  temporalKey: string;
  clientCert: string;
  clientKey: string;
}

export interface SecureMaterial {
  files: SecureFiles;
  kafkaPasswords: Record<KafkaRole | 'admin', string>;
  registryPasswords: Record<(typeof REGISTRY_USERS)[number], string>;
}

const password = () => randomBytes(18).toString('base64url');

/**
 * The CA, certificates and passwords of the secured local stack, made on its first start and kept
 * with its data (the broker's SCRAM users are formatted into its log), so `down`/`up` keeps them and
 * `oms dev reset` makes new ones. Files are readable by their owner only.
 */
export function secureMaterial(paths: CachePaths): SecureMaterial {
  const dir = paths.service('secure').data;
  const file = path.join(dir, 'material.json');
  const files: SecureFiles = {
    dir,
    ca: path.join(dir, 'ca.pem'),
    kafkaKeystore: path.join(dir, 'kafka-keystore.pem'),
    temporalCert: path.join(dir, 'temporal.pem'),
    temporalKey: path.join(dir, 'temporal.key'),
    clientCert: path.join(dir, 'client.pem'),
    clientKey: path.join(dir, 'client.key'),
  };
  if (existsSync(file)) return { files, ...(JSON.parse(readFileSync(file, 'utf8')) as Omit<SecureMaterial, 'files'>) };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = createCertificateAuthority('oms secured local stack CA');
  const hosts = ['localhost', '127.0.0.1'];
  const broker = ca.issue('localhost', { hosts });
  const temporal = ca.issue('localhost', { hosts });
  const client = ca.issue('oms', { client: true });
  const write = (target: string, text: string) => writeFileSync(target, text, { mode: 0o600 });
  write(files.ca, ca.cert);
  write(files.kafkaKeystore, `${broker.key}${broker.cert}`);
  write(files.temporalCert, temporal.cert);
  write(files.temporalKey, temporal.key);
  write(files.clientCert, client.cert);
  write(files.clientKey, client.key);
  const secrets: Omit<SecureMaterial, 'files'> = {
    kafkaPasswords: { admin: password(), ...(Object.fromEntries(KAFKA_ROLES.map((role) => [role, password()])) as Record<KafkaRole, string>) },
    registryPasswords: Object.fromEntries(REGISTRY_USERS.map((user) => [user, password()])) as SecureMaterial['registryPasswords'],
  };
  write(file, `${JSON.stringify(secrets, null, 2)}\n`);
  return { files, ...secrets };
}

export const kafkaUserOf = (role: KafkaRole | 'admin') => (role === 'admin' ? KAFKA_ADMIN_USER : defaultKafkaUser(role));
