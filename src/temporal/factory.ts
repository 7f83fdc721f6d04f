import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { required, type Config } from '../config/config.ts';
import type { DataConverter } from '@temporalio/common';

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
  clientCertPath?: string;
  clientKeyPath?: string;
  apiKey?: string;
}

/** Settings from config; a role that connects to Temporal can't run without TEMPORAL_ADDRESS. */
export function temporalSettings(config: Config): TemporalSettings {
  return { ...config.temporal, address: required(config.temporal.address, 'TEMPORAL_ADDRESS') };
}

export function connectionSecurity(settings: TemporalSettings) {
  const clientCertPair =
    settings.clientCertPath && settings.clientKeyPath ? { crt: readFileSync(settings.clientCertPath), key: readFileSync(settings.clientKeyPath) } : undefined;
  return {
    ...(settings.tls ? { tls: clientCertPair ? { clientCertPair } : true } : {}),
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
  };
}

/** Client and worker must agree on payload encoding, so both take it from here. */
export function dataConverter(): DataConverter {
  return {};
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
  });
  return new Client({ connection, namespace: settings.namespace, dataConverter: dataConverter() });
}

/** A cheap call that succeeds only while the frontend answers: the probe behind ingest's recovery watch. */
export async function temporalAnswers(client: Client): Promise<void> {
  await client.connection.withDeadline(Date.now() + 1_000, () => client.connection.workflowService.getSystemInfo({}));
}

