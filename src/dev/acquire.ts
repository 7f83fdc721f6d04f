import { dockerEngineAnswers } from './docker/engine.ts';
import { endpointsFromEnv, type StackEndpoints } from './endpoints.ts';
import { awaitStackReady } from './health.ts';
import { nativeDown, nativeUp, type Progress } from './native/stack.ts';

export interface AcquiredStack {
  endpoints: StackEndpoints;
  source: 'environment' | 'testcontainers' | 'native';
  /** Stops exactly what acquiring started: nothing for 'environment', nor for native services that were already running. */
  release(): Promise<void>;
}

/**
 * Finds a stack for tests, in a fixed order:
 *   1. all four endpoints set in the environment: use them (and check they answer);
 *   2. a Docker engine answers: docker-compose.yml through testcontainers;
 *   3. otherwise the native stack, through the same code as `oms dev up`.
 */
export async function acquireStack(env: NodeJS.ProcessEnv, progress: Progress): Promise<AcquiredStack> {
  const fromEnv = endpointsFromEnv(env);
  if (fromEnv) {
    progress('using the stack named by KAFKA_BROKERS, SCHEMA_REGISTRY_URL, TEMPORAL_ADDRESS and REDIS_URL');
    await awaitStackReady(fromEnv, 30_000);
    return { endpoints: fromEnv, source: 'environment', release: async () => undefined };
  }
  if (await dockerEngineAnswers()) {
    progress('Docker engine found: starting docker-compose.yml with testcontainers');
    const { startComposeWithTestcontainers } = await import('./docker/testcontainers.ts');
    const { endpoints, stop } = await startComposeWithTestcontainers();
    return { endpoints, source: 'testcontainers', release: stop };
  }
  progress('no Docker engine: starting the native local stack (as `oms dev up`)');
  const { endpoints, started } = await nativeUp({ progress });
  return { endpoints, source: 'native', release: async () => void (await nativeDown({ only: started, progress })) };
}
