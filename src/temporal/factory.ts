import { fileURLToPath } from 'node:url';
import { Client, Connection, isGrpcServiceError } from '@temporalio/client';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ConfigError, required, type Config } from '../config/config.ts';
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import type { ConfigDataSource } from '@temporalio/envconfig';
import { tracing } from '../observability/tracing.ts';
import { EncryptionCodec } from './encryption-codec.ts';
import { loadKeyRing, type KeyRing } from './key-ring.ts';
import { explainConnectFailure } from './tls-check.ts';
import { bytesOf } from './tls-material.ts';

/**
 * The one place Temporal clients are built (workers: worker-factory.ts, on the same settings, security
 * and data converter). Anything that must apply to every connection, such as TLS, API keys, and the
 * data converter that will carry the PII payload codec, is added here and nowhere else. Kept apart
 * from the worker side so that ingest never loads the worker SDK: a restarted ingest must start fast.
 */
export interface TemporalSettings {
  address: string;
  namespace: string;
  tls?: boolean;
  clientCert?: ConfigDataSource;
  clientKey?: ConfigDataSource;
  serverCaCert?: ConfigDataSource;
  serverName?: string;
  apiKey?: string;
  /** The Temporal SDK's own log level, for worker processes. */
  sdkLogLevel?: Config['temporal']['sdkLogLevel'];
  /** The keys payloads are encrypted with; 'off' stores them as plain JSON. */
  encryption: KeyRing | 'off';
}

/**
 * The key ring payloads are encrypted with, or 'off'. While TEMPORAL_ENCRYPTION is on (the default) a
 * missing or bad ring is a ConfigError: every role checks it at start, before anything connects.
 */
export function payloadEncryption(config: Config): KeyRing | 'off' {
  const { encryption } = config.temporal;
  if (!encryption.enabled) return 'off';
  const ring = loadKeyRing(encryption);
  if (!ring) {
    throw new ConfigError(
      'invalid configuration: TEMPORAL_ENCRYPTION_KEYS: required while TEMPORAL_ENCRYPTION is on (or TEMPORAL_ENCRYPTION_KEYS_FILE; `oms keys new` makes a ring; TEMPORAL_ENCRYPTION=off stores payloads as plain JSON)',
    );
  }
  return ring;
}

/** Settings from config; a role that connects to Temporal can't run without TEMPORAL_ADDRESS, nor without its key ring. */
export function temporalSettings(config: Config): TemporalSettings {
  const { namespace, tls, apiKey, clientCert, clientKey, serverCaCert, serverName, sdkLogLevel } = config.temporal;
  return {
    address: required(config.temporal.address, 'TEMPORAL_ADDRESS'),
    ...{ namespace, tls, apiKey, clientCert, clientKey, serverCaCert, serverName, sdkLogLevel },
    encryption: payloadEncryption(config),
  };
}

export function connectionSecurity(settings: TemporalSettings) {
  const clientCertPair = settings.clientCert && settings.clientKey ? { crt: bytesOf(settings.clientCert), key: bytesOf(settings.clientKey) } : undefined;
  const tls = {
    ...(clientCertPair ? { clientCertPair } : {}),
    ...(settings.serverCaCert ? { serverRootCACertificate: bytesOf(settings.serverCaCert) } : {}),
    ...(settings.serverName ? { serverNameOverride: settings.serverName } : {}),
  };
  return {
    ...(settings.tls ? { tls: Object.keys(tls).length > 0 ? tls : true } : {}),
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
  };
}

/** For the workflow bundle, which must be built with the failure converter the workers use. */
export const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('./failure-converter.ts', import.meta.url));

/** Client, worker, replay and the codec server must agree on payload encoding, so all take it from here. */
export function dataConverter(settings: Pick<TemporalSettings, 'encryption'>): DataConverter {
  return settings.encryption === 'off' ? {} : { payloadCodecs: [payloadCodec(settings.encryption)], failureConverterPath: FAILURE_CONVERTER_PATH };
}

export function payloadCodec(ring: KeyRing): PayloadCodec {
  return new EncryptionCodec(ring);
}

export interface ClientOptions {
  /**
   * The SDK retries failed gRPC calls itself (up to 10 attempts) by default. Ingest turns that off:
   * it retries with its own visible backoff (metrics, logs, partition pause) and must notice an outage at once.
   */
  sdkRetries?: boolean;
}

export async function createTemporalClient(settings: TemporalSettings, options: ClientOptions = {}): Promise<Client> {
  const connection = await Connection.connect({
    address: settings.address,
    ...connectionSecurity(settings),
    ...(options.sdkRetries === false ? { interceptors: [] } : {}),
    // gRPC's reconnect backoff grows to 2 minutes by default: after a long Temporal outage the channel
    // would stay down well after the server is back. Retry the connection at least once a second.
    channelArgs: { 'grpc.max_reconnect_backoff_ms': 1_000 },
  }).catch(async (error: unknown) => {
    throw await explainConnectFailure(settings, error);
  });
  // Traced, a call (signal-with-start) gets a span, and its context travels to the workflow in the Temporal header.
  const interceptors = tracing().enabled ? { workflow: [new (await import('@temporalio/interceptors-opentelemetry-v2')).OpenTelemetryWorkflowClientInterceptor()] } : undefined;
  return new Client({ connection, namespace: settings.namespace, dataConverter: dataConverter(settings), interceptors });
}

const PROBE_WORKFLOW_ID = 'oms-probe-not-a-workflow';

/**
 * A cheap call that succeeds only while Temporal's history service answers: the probe behind ingest's
 * recovery watch and the workers' restart. The frontend alone (GetSystemInfo) answers as soon as a
 * restarted server listens, while the history service may still be loading its shards; a call sent
 * then waits for them until its deadline. Describing a workflow that doesn't exist goes through
 * history and comes back NOT_FOUND once it serves.
 */
export async function temporalAnswers(client: Client): Promise<void> {
  try {
    await client.connection.withDeadline(Date.now() + 1_000, () =>
      client.connection.workflowService.describeWorkflowExecution({ namespace: client.options.namespace, execution: { workflowId: PROBE_WORKFLOW_ID } }),
    );
  } catch (error) {
    if (isGrpcServiceError(error) && error.code === GrpcStatus.NOT_FOUND) return;
    throw error;
  }
}

