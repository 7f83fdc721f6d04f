import { explainConnectFailure } from './tls-check.ts';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from '../observability/logger.ts';
import { connectionSecurity, dataConverter, type TemporalSettings } from './factory.ts';

/** Temporal workers and their connection, on the settings, security and data converter of factory.ts. */
let runtimeInstalled = false;

/** Workers of one group by design poll only workflows or only activities; the SDK warns about that each start. */
const EXPECTED_NOTICES = /^No (activities|workflows) registered, not polling/;

const PINO_LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * The SDK logs every worker state change at INFO; its own log stays at TEMPORAL_SDK_LOG_LEVEL (WARN).
 * Its lines go to the role's pino logger when there is one, with their attributes: a workflow's or an
 * activity's ids and, traced, the `trace_id` and `span_id` Temporal's interceptors add.
 */
function installRuntimeOnce(level: LogLevel, logger?: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const print = new DefaultLogger(level);
  const sdk = logger?.child({ component: 'temporal-sdk' });
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      if (EXPECTED_NOTICES.test(entry.message)) return;
      if (sdk) sdk[PINO_LEVELS[entry.level]](entry.meta ?? {}, entry.message);
      else print.log(entry.level, entry.message, entry.meta);
    }),
  });
}

/** One connection serves every worker of a process (one worker per task queue). */
export async function createWorkerConnection(settings: TemporalSettings, logger?: Logger): Promise<NativeConnection> {
  installRuntimeOnce(settings.sdkLogLevel ?? 'WARN', logger);
  return NativeConnection.connect({ address: settings.address, ...connectionSecurity(settings) }).catch(async (error: unknown) => {
    throw await explainConnectFailure(settings, error);
  });
}

export type TemporalWorkerOptions = Omit<WorkerOptions, 'connection' | 'namespace' | 'dataConverter'>;

export function createTemporalWorker(connection: NativeConnection, settings: TemporalSettings, options: TemporalWorkerOptions): Promise<Worker> {
  return Worker.create({ ...options, connection, namespace: settings.namespace, dataConverter: dataConverter(settings) });
}
