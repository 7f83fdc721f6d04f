import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StackEndpoints } from '../endpoints.ts';
import { kafkaHealth, portAnswers } from '../health.ts';
import { runStep } from '../native/install.ts';
import { repoRoot } from '../native/paths.ts';
import { dataDir, freshDir, newClusterId, singleNodeSettings, type NativeService, type ServiceContext } from '../native/services.ts';
import { KAFKA_ROLES } from '../../service/access-plan.ts';
import type { FrontSettings } from './front.ts';
import { KAFKA_ADMIN_USER, kafkaUserOf, secureMaterial, type SecureMaterial } from './material.ts';

const KAFKA_LOG4J = path.join(repoRoot, 'src/dev/native/log4j2.properties');

/** The secured broker as a client sees it: TLS trusting the stack's CA, SCRAM-SHA-512 as `user`. */
export const secureKafkaClient = (material: SecureMaterial, user: string, password: string) => ({
  ssl: { ca: [readFileSync(material.files.ca, 'utf8')] },
  sasl: { mechanism: 'scram-sha-512' as const, username: user, password },
});

const jaas = (module: string, user: string, password: string, extra = '') => `${module} required username="${user}" password="${password}"${extra};`;

/**
 * Kafka as a secured production cluster runs it: one SASL_SSL listener (SCRAM-SHA-512, a certificate
 * from the stack's CA), the KRaft standard authorizer with `allow.everyone.if.no.acl.found=false`,
 * no automatic topic creation, and the admin as the only super user. Each role's SCRAM user is
 * formatted into the log with its password (KRaft keeps SCRAM credentials in its metadata). The
 * controller listener is SASL PLAIN on loopback, as the controller can't use SCRAM; only the admin
 * is known there.
 */
function kafkaSecure(ctx: ServiceContext, material: SecureMaterial): NativeService {
  const { kafkaSecure: port, kafkaSecureController: controller } = ctx.ports;
  const admin = material.kafkaPasswords.admin;
  return {
    name: 'kafka-secure',
    ports: [port, controller],
    async prepare(logFile) {
      const runDir = await freshDir(ctx.paths.service('kafka-secure').run, 0o700);
      const data = await dataDir(ctx, 'kafka-secure');
      const config = path.join(runDir, 'server.properties');
      await writeFile(
        config,
        [
          'process.roles=broker,controller',
          'node.id=1',
          `controller.quorum.voters=1@127.0.0.1:${controller}`,
          `listeners=SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
          `advertised.listeners=SASL_SSL://127.0.0.1:${port}`,
          'controller.listener.names=CONTROLLER',
          'inter.broker.listener.name=SASL_SSL',
          'listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT',
          'sasl.enabled.mechanisms=SCRAM-SHA-512',
          'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
          `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${jaas('org.apache.kafka.common.security.scram.ScramLoginModule', KAFKA_ADMIN_USER, admin)}`,
          'sasl.mechanism.controller.protocol=PLAIN',
          'listener.name.controller.sasl.enabled.mechanisms=PLAIN',
          `listener.name.controller.plain.sasl.jaas.config=${jaas('org.apache.kafka.common.security.plain.PlainLoginModule', KAFKA_ADMIN_USER, admin, ` user_${KAFKA_ADMIN_USER}="${admin}"`)}`,
          'ssl.keystore.type=PEM',
          `ssl.keystore.location=${material.files.kafkaKeystore}`,
          'ssl.truststore.type=PEM',
          `ssl.truststore.location=${material.files.ca}`,
          'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
          'allow.everyone.if.no.acl.found=false',
          `super.users=User:${KAFKA_ADMIN_USER}`,
          'auto.create.topics.enable=false',
          ...singleNodeSettings(data),
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      const jvm = ['-Xms128m', '-Xmx512m', `-Dlog4j2.configurationFile=${KAFKA_LOG4J}`, '-cp', `${ctx.tools.kafkaLibs}/*`];
      if (!existsSync(path.join(data, 'meta.properties'))) {
        const users = (['admin', ...KAFKA_ROLES] as const).flatMap((role) => ['--add-scram', `SCRAM-SHA-512=[name=${kafkaUserOf(role)},password=${material.kafkaPasswords[role]}]`]);
        await runStep(ctx.tools.java, [...jvm, 'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', config, ...users], logFile);
      }
      return { command: ctx.tools.java, args: [...jvm, 'kafka.Kafka', config], cwd: runDir };
    },
    dataPath: ctx.paths.service('kafka-secure').data,
    health: kafkaHealth(`127.0.0.1:${port}`, secureKafkaClient(material, KAFKA_ADMIN_USER, admin)),
    startupTimeoutMs: 90_000,
  };
}

/** The TLS terminator (mTLS) before Temporal and the basic-auth proxy before the registry, in one Node process of ours. */
function secureFront(ctx: ServiceContext, material: SecureMaterial, upstream: StackEndpoints): NativeService {
  return {
    name: 'secure-front',
    ports: [ctx.ports.temporalTls, ctx.ports.registryAuth],
    async prepare() {
      const runDir = await freshDir(ctx.paths.service('secure-front').run, 0o700);
      const settings: FrontSettings = {
        temporal: { upstream: upstream.temporalAddress, port: ctx.ports.temporalTls, cert: material.files.temporalCert, key: material.files.temporalKey, clientCa: material.files.ca },
        registry: { upstream: new URL(upstream.schemaRegistryUrl).origin, port: ctx.ports.registryAuth, users: material.registryPasswords },
      };
      const file = path.join(runDir, 'front.json');
      await writeFile(file, JSON.stringify(settings), { mode: 0o600 });
      return { command: process.execPath, args: [path.join(repoRoot, 'src/dev/secure/front.ts'), file], cwd: runDir };
    },
    health: async () => (await portAnswers(ctx.ports.temporalTls, 1_000)) && (await portAnswers(ctx.ports.registryAuth, 1_000)),
    startupTimeoutMs: 20_000,
  };
}

/** The secured stack's own services: its Kafka, and the front of the stack's Temporal and registry at `upstream`. */
export function secureServices(ctx: ServiceContext, upstream: StackEndpoints): NativeService[] {
  const material = secureMaterial(ctx.paths);
  return [kafkaSecure(ctx, material), secureFront(ctx, material, upstream)];
}
