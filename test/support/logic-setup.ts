import { DefaultLogger, Runtime } from '@temporalio/worker';

// The logic suite fails activities and replays broken code on purpose; the SDK would log each as a warning.
Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
