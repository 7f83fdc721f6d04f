import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StackEndpoints } from '../endpoints.ts';
import { kafkaHealth, redisHealth, schemaRegistryHealth, temporalHealth, zipkinHealth, type HealthCheck } from '../health.ts';
import { runStep } from './install.ts';
import type { CachePaths } from './paths.ts';
import { cachePaths, repoRoot } from './paths.ts';
import { devKeyRingFile, ensureDevCodecToken } from '../dev-keys.ts';
import { ORDER_STAGE_ATTRIBUTE } from '../../contract/workflows.ts';
import type { SpawnSpec } from './process.ts';

const KAFKA_LOG4J = path.join(repoRoot, 'src/dev/native/log4j2.properties');

export const SERVICE_NAMES = ['kafka', 'schema-registry', 'temporal', 'redis', 'zipkin'] as const;
/** What `oms dev up --secure` adds (src/dev/secure/secure-services.ts). */
export const SECURE_SERVICE_NAMES = ['kafka-secure', 'secure-front'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number] | (typeof SECURE_SERVICE_NAMES)[number];

function portFromEnv(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${variable} must be a TCP port (1-65535), got "${raw}"`);
  }
  return port;
}

/** Ports of the native stack, all on 127.0.0.1; each can be moved by its OMS_DEV_*_PORT variable. */
export function nativePorts() {
  return {
    kafka: portFromEnv('OMS_DEV_KAFKA_PORT', 9092),
    kafkaController: portFromEnv('OMS_DEV_KAFKA_CONTROLLER_PORT', 9093),
    schemaRegistry: portFromEnv('OMS_DEV_SCHEMA_REGISTRY_PORT', 8081),
    schemaRegistryManagement: portFromEnv('OMS_DEV_SCHEMA_REGISTRY_MANAGEMENT_PORT', 8091),
    temporal: portFromEnv('OMS_DEV_TEMPORAL_PORT', 7233),
    temporalUi: portFromEnv('OMS_DEV_TEMPORAL_UI_PORT', 8233),
    redis: portFromEnv('OMS_DEV_REDIS_PORT', 6379),
    zipkin: portFromEnv('OMS_DEV_ZIPKIN_PORT', 9411),
    // The secured stack (`oms dev up --secure`): Kafka over SASL_SSL, Temporal over mTLS, the registry with basic auth.
    kafkaSecure: portFromEnv('OMS_DEV_KAFKA_SECURE_PORT', 9094),
    kafkaSecureController: portFromEnv('OMS_DEV_KAFKA_SECURE_CONTROLLER_PORT', 9095),
    temporalTls: portFromEnv('OMS_DEV_TEMPORAL_TLS_PORT', 7234),
    registryAuth: portFromEnv('OMS_DEV_SCHEMA_REGISTRY_AUTH_PORT', 8082),
    // Not a stack service: `oms start` runs the codec server there, and the Temporal UI is told so.
    codecServer: portFromEnv('OMS_DEV_CODEC_SERVER_PORT', 8234),
  };
}
export type NativePorts = ReturnType<typeof nativePorts>;

export function nativeEndpoints(ports: NativePorts, paths = cachePaths()): StackEndpoints {
  return {
    temporalKeysFile: devKeyRingFile(paths),
    kafkaBrokers: `127.0.0.1:${ports.kafka}`,
    schemaRegistryUrl: `http://127.0.0.1:${ports.schemaRegistry}/apis/ccompat/v7`,
    temporalAddress: `127.0.0.1:${ports.temporal}`,
    redisUrl: `redis://127.0.0.1:${ports.redis}`,
    zipkinUrl: `http://127.0.0.1:${ports.zipkin}`,
  };
}

/** What the services run: the pinned tools from the cache (toolchain.ts), or the machine's (OMS_DEV_TOOLS=system). */
export interface Tools {
  java: string;
  redisServer: string;
  temporal: string;
  /** The Kafka broker's jars, and the unpacked Apicurio Registry: pinned in either mode. */
  kafkaLibs: string;
  apicurioHome: string;
  zipkinJar: string;
}

export interface ServiceContext {
  paths: CachePaths;
  ports: NativePorts;
  tools: Tools;
}

export interface NativeService {
  name: ServiceName;
  /** Ports that must be free before we start it. */
  ports: number[];
  /** Fresh config for a start, over the data a previous start left (created empty the first time); returns what to run. */
  prepare(logFile: string): Promise<Omit<SpawnSpec, 'logFile'>>;
  /** Where the service keeps its data across restarts; absent for a service that keeps none. */
  dataPath?: string;
  health: HealthCheck;
  startupTimeoutMs: number;
}

/** The service's data folder, created empty the first time: it is kept across starts. */
export async function dataDir(ctx: ServiceContext, name: ServiceName): Promise<string> {
  const dir = ctx.paths.service(name).data;
  await mkdir(dir, { recursive: true });
  return dir;
}

/** A service's run folder, emptied for a start; `mode` 0o700 where it holds secrets. */
export async function freshDir(dir: string, mode?: number): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode });
  return dir;
}

/**
 * A Kafka cluster id: 16 random bytes in unpadded base64url, as `StorageTool random-uuid` prints.
 * Like Kafka's own Uuid.randomUuid(), never one starting with '-', which the tool would read as an option.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** A one-node broker's storage and internal topics: what the plain and the secured dev brokers share. */
export const singleNodeSettings = (data: string) => [
  `log.dirs=${data}`,
  'num.partitions=3',
  'offsets.topic.replication.factor=1',
  'offsets.topic.num.partitions=10',
  'transaction.state.log.replication.factor=1',
  'transaction.state.log.min.isr=1',
  'share.coordinator.state.topic.replication.factor=1',
  'share.coordinator.state.topic.min.isr=1',
  // A dev broker has one member per group most of the time: don't make every join wait 3 s.
  'group.initial.rebalance.delay.ms=0',
];

function kafka(ctx: ServiceContext): NativeService {
  return {
    name: 'kafka',
    ports: [ctx.ports.kafka, ctx.ports.kafkaController],
    async prepare(logFile) {
      const runDir = await freshDir(ctx.paths.service('kafka').run);
      const data = await dataDir(ctx, 'kafka');
      const config = path.join(runDir, 'server.properties');
      // KRaft combined mode: one process is both controller and broker, as `apache/kafka` runs by default.
      await writeFile(
        config,
        [
          'process.roles=broker,controller',
          'node.id=1',
          `controller.quorum.voters=1@127.0.0.1:${ctx.ports.kafkaController}`,
          `listeners=PLAINTEXT://127.0.0.1:${ctx.ports.kafka},CONTROLLER://127.0.0.1:${ctx.ports.kafkaController}`,
          `advertised.listeners=PLAINTEXT://127.0.0.1:${ctx.ports.kafka}`,
          'controller.listener.names=CONTROLLER',
          'inter.broker.listener.name=PLAINTEXT',
          'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
          ...singleNodeSettings(data),
          '',
        ].join('\n'),
      );
      const classpath = `${ctx.tools.kafkaLibs}/*`;
      const jvm = ['-Xms256m', '-Xmx1g', `-Dlog4j2.configurationFile=${KAFKA_LOG4J}`, '-cp', classpath];
      // Format once: the data dir keeps its cluster id (in meta.properties), so topics and offsets survive `down`/`up`.
      if (!existsSync(path.join(data, 'meta.properties'))) {
        await runStep(ctx.tools.java, [...jvm, 'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', config], logFile);
      }
      return { command: ctx.tools.java, args: [...jvm, 'kafka.Kafka', config], cwd: runDir };
    },
    dataPath: ctx.paths.service('kafka').data,
    health: kafkaHealth(`127.0.0.1:${ctx.ports.kafka}`),
    startupTimeoutMs: 90_000,
  };
}

function schemaRegistry(ctx: ServiceContext): NativeService {
  return {
    name: 'schema-registry',
    ports: [ctx.ports.schemaRegistry, ctx.ports.schemaRegistryManagement],
    async prepare() {
      const runDir = await freshDir(ctx.paths.service('schema-registry').run);
      const data = await dataDir(ctx, 'schema-registry');
      return {
        command: ctx.tools.java,
        args: [
          '-Xms128m',
          '-Xmx512m',
          '-Dquarkus.http.host=127.0.0.1',
          `-Dquarkus.http.port=${ctx.ports.schemaRegistry}`,
          // The build enables Quarkus's management interface; left alone it listens on 0.0.0.0:9000.
          '-Dquarkus.management.host=127.0.0.1',
          `-Dquarkus.management.port=${ctx.ports.schemaRegistryManagement}`,
          // Schemas in an H2 file rather than Apicurio's default in-memory H2 (or its Kafka-backed kafkasql):
          // ids inside old messages still resolve after a restart, the registry starts without waiting for
          // Kafka, and `oms dev reset` wipes one folder. WRITE_DELAY=0 commits to disk at once, so a schema
          // registered just before a crash is not lost. Deletes are allowed so tests can clean up subjects.
          `-Dapicurio.datasource.url=jdbc:h2:file:${path.join(data, 'registry')};WRITE_DELAY=0`,
          '-Dapicurio.rest.deletion.artifact.enabled=true',
          '-Dapicurio.rest.deletion.artifact-version.enabled=true',
          '-Dapicurio.rest.deletion.group.enabled=true',
          '-jar',
          path.join(ctx.tools.apicurioHome, 'quarkus-run.jar'),
        ],
        cwd: runDir,
      };
    },
    dataPath: ctx.paths.service('schema-registry').data,
    health: schemaRegistryHealth(nativeEndpoints(ctx.ports).schemaRegistryUrl),
    startupTimeoutMs: 120_000,
  };
}

function temporal(ctx: ServiceContext): NativeService {
  return {
    name: 'temporal',
    ports: [ctx.ports.temporal, ctx.ports.temporalUi],
    async prepare() {
      const runDir = await freshDir(ctx.paths.service('temporal').run);
      const data = await dataDir(ctx, 'temporal');
      return {
        command: ctx.tools.temporal,
        args: [
          'server',
          'start-dev',
          // A sqlite file instead of memory: running workflows, their histories and namespaces survive a restart or a crash.
          '--db-filename',
          path.join(data, 'temporal.db'),
          // sqlite's default (a rollback journal, fsync on every commit) cut signal-with-start throughput from
          // about 160/s to 70/s here. With WAL and synchronous=NORMAL a commit is in the WAL file once it returns,
          // so a killed server loses nothing; only an OS crash or power loss may lose the last commits (not a dev box's worry).
          '--sqlite-pragma',
          'journal_mode=wal',
          '--sqlite-pragma',
          'synchronous=normal',
          '--ip',
          '127.0.0.1',
          '--port',
          String(ctx.ports.temporal),
          '--ui-port',
          String(ctx.ports.temporalUi),
          // The UI decodes payloads through the codec server `oms start` runs; the UI sends no credential, so the path carries it.
          '--ui-codec-endpoint',
          `http://127.0.0.1:${ctx.ports.codecServer}/t/${ensureDevCodecToken(ctx.paths)}`,
          // The order workflow's stage attribute (v5), registered as an operator would before deploying.
          '--search-attribute',
          `${ORDER_STAGE_ATTRIBUTE.name}=Keyword`,
          '--log-level',
          'warn',
        ],
        cwd: runDir,
      };
    },
    dataPath: ctx.paths.service('temporal').data,
    health: temporalHealth(`127.0.0.1:${ctx.ports.temporal}`),
    startupTimeoutMs: 60_000,
  };
}

function redis(ctx: ServiceContext): NativeService {
  return {
    name: 'redis',
    ports: [ctx.ports.redis],
    // Redis holds only the storefront limiter's coordination state, which must not outlive the limiter
    // processes that wrote it (a stale rate would apply): it stays in memory on purpose.
    async prepare() {
      const runDir = await freshDir(ctx.paths.service('redis').run);
      return {
        command: ctx.tools.redisServer,
        args: ['--bind', '127.0.0.1', '--port', String(ctx.ports.redis), '--save', '', '--appendonly', 'no', '--dir', runDir],
        cwd: runDir,
      };
    },
    health: redisHealth(nativeEndpoints(ctx.ports).redisUrl),
    startupTimeoutMs: 20_000,
  };
}

/** The trace viewer: Zipkin's server jar from Maven Central, on the stack's java, spans in memory (a dev box's traces need not outlive it). */
function zipkin(ctx: ServiceContext): NativeService {
  return {
    name: 'zipkin',
    ports: [ctx.ports.zipkin],
    async prepare() {
      const runDir = await freshDir(ctx.paths.service('zipkin').run);
      return {
        command: ctx.tools.java,
        args: [
          '-Xms64m',
          '-Xmx512m',
          '-XX:TieredStopAtLevel=1',
          '-jar',
          ctx.tools.zipkinJar,
          `--armeria.ports[0].port=${ctx.ports.zipkin}`,
          '--armeria.ports[0].ip=127.0.0.1',
          '--armeria.ports[0].protocols=http',
          '--logging.level.root=WARN',
        ],
        env: { ...process.env, STORAGE_TYPE: 'mem', MEM_MAX_SPANS: '200000' },
        cwd: runDir,
      };
    },
    health: zipkinHealth(nativeEndpoints(ctx.ports).zipkinUrl!),
    startupTimeoutMs: 90_000,
  };
}

export function nativeServices(ctx: ServiceContext): NativeService[] {
  return [kafka(ctx), schemaRegistry(ctx), temporal(ctx), redis(ctx), zipkin(ctx)];
}
