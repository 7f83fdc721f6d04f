import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkerOptions } from '@temporalio/worker';

/**
 * The one place Temporal clients and workers are built. Anything that must apply to every
 * connection, such as TLS, API keys, and the data converter that will carry the PII payload codec,
 * is added here and nowhere else.
 */
export interface TemporalSettings {
  address: string;
  namespace: string;
}

/** Client and worker must agree on payload encoding, so both take it from here. */
export function dataConverter(): DataConverter {
  return {};
}

export async function createTemporalClient(settings: TemporalSettings): Promise<Client> {
  const connection = await Connection.connect({ address: settings.address });
  return new Client({ connection, namespace: settings.namespace, dataConverter: dataConverter() });
}

export type TemporalWorkerOptions = Omit<WorkerOptions, 'connection' | 'namespace' | 'dataConverter'>;

export interface StartedWorker {
  worker: Worker;
  /** Closes the worker's connection too; call after `worker.run()` has resolved. */
  close: () => Promise<void>;
}

let runtimeInstalled = false;

/** The SDK logs every worker state change at INFO; keep its own log at WARN unless asked otherwise. */
function installRuntimeOnce(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = (process.env.TEMPORAL_SDK_LOG_LEVEL ?? 'WARN') as LogLevel;
  Runtime.install({ logger: new DefaultLogger(level) });
}

export async function createTemporalWorker(settings: TemporalSettings, options: TemporalWorkerOptions): Promise<StartedWorker> {
  installRuntimeOnce();
  const connection = await NativeConnection.connect({ address: settings.address });
  try {
    const worker = await Worker.create({ ...options, connection, namespace: settings.namespace, dataConverter: dataConverter() });
    return { worker, close: () => connection.close() };
  } catch (error) {
    await connection.close();
    throw error;
  }
}
