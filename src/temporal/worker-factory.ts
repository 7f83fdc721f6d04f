import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkerOptions } from '@temporalio/worker';
import { connectionSecurity, dataConverter, type TemporalSettings } from './factory.ts';

/** Temporal workers and their connection, on the settings, security and data converter of factory.ts. */
let runtimeInstalled = false;

/** Workers of one group by design poll only workflows or only activities; the SDK warns about that each start. */
const EXPECTED_NOTICES = /^No (activities|workflows) registered, not polling/;

/** The SDK logs every worker state change at INFO; its own log stays at TEMPORAL_SDK_LOG_LEVEL (WARN). */
function installRuntimeOnce(level: LogLevel): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const print = new DefaultLogger(level);
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      if (!EXPECTED_NOTICES.test(entry.message)) print.log(entry.level, entry.message, entry.meta);
    }),
  });
}

/** One connection serves every worker of a process (one worker per task queue). */
export async function createWorkerConnection(settings: TemporalSettings): Promise<NativeConnection> {
  installRuntimeOnce(settings.sdkLogLevel ?? 'WARN');
  return NativeConnection.connect({ address: settings.address, ...connectionSecurity(settings) });
}

export type TemporalWorkerOptions = Omit<WorkerOptions, 'connection' | 'namespace' | 'dataConverter'>;

export function createTemporalWorker(connection: NativeConnection, settings: TemporalSettings, options: TemporalWorkerOptions): Promise<Worker> {
  return Worker.create({ ...options, connection, namespace: settings.namespace, dataConverter: dataConverter(settings) });
}
