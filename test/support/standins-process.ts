import type { StorefrontStats } from '../../src/dev/standins/storefront.ts';
import { spawnOms } from './cli.ts';
import { randomPort } from './names.ts';

/**
 * The stand-ins as their own process (`oms standins`): the commerce app's counts arrivals in any
 * rolling second, and in the test process its clock would stall with the test runner's work and count
 * a late batch of arrivals as one bunch.
 */
export async function standinsProcess(storefrontRps: number) {
  const ports = { storefront: randomPort(), paymentProvider: randomPort(), risk: randomPort() };
  const spawned = spawnOms(['standins'], {
    STANDIN_STOREFRONT_PORT: ports.storefront,
    STANDIN_PAYMENT_PROVIDER_PORT: ports.paymentProvider,
    STANDIN_RISK_PORT: ports.risk,
    STANDIN_STOREFRONT_RPS: String(storefrontRps),
  });
  const urls = { storefront: `http://127.0.0.1:${ports.storefront}`, paymentProvider: `http://127.0.0.1:${ports.paymentProvider}`, risk: `http://127.0.0.1:${ports.risk}` };
  const stats = async () => (await (await fetch(`${urls.storefront}/_stats`)).json()) as StorefrontStats;
  const deadline = performance.now() + 30_000;
  while (!(await stats().then(() => true, () => false))) {
    if (performance.now() > deadline) throw new Error(`oms standins did not answer in 30 s:\n${spawned.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    ...urls,
    url: urls.storefront,
    stats,
    close: async () => {
      spawned.child.kill('SIGKILL');
      await spawned.exited;
    },
  };
}
