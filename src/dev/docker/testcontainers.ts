import type { StackEndpoints } from '../endpoints.ts';
import { awaitStackReady } from '../health.ts';
import { repoRoot } from '../native/paths.ts';
import { composeEndpoints, INFRA_SERVICES } from './compose.ts';

/**
 * The test harness's Docker path: testcontainers runs the very docker-compose.yml that
 * `oms dev up --docker` uses, so the two can't drift, and hands back the same endpoints.
 */
export async function startComposeWithTestcontainers(): Promise<{ endpoints: StackEndpoints; stop: () => Promise<void> }> {
  const { DockerComposeEnvironment, Wait } = await import('testcontainers');
  let environment = new DockerComposeEnvironment(repoRoot, 'docker-compose.yml');
  for (const service of INFRA_SERVICES) {
    environment = environment.withWaitStrategy(`${service}-1`, Wait.forHealthCheck());
  }
  const started = await environment.up([...INFRA_SERVICES]);
  const endpoints = composeEndpoints();
  await awaitStackReady(endpoints);
  return { endpoints, stop: async () => void (await started.down({ removeVolumes: true })) };
}
