import Bottleneck from 'bottleneck';
import { Redis } from 'ioredis';

export interface StorefrontLimiterSettings {
  /** Requests per second to the storefront, in total across all worker instances. */
  rps: number;
  /** Worker instances sharing the limit by static split (when there is no Redis). */
  instances: number;
  /** When set, every instance shares one limit through Bottleneck's Redis clustering. */
  redisUrl?: string;
  /** Instances with the same id share a limit; tests give each limiter group its own. */
  id?: string;
}

/**
 * All storefront calls go through this limiter. `minTime` spaces requests evenly, so no one-second
 * window sees more than `rps` of them (a reservoir would let a full second's worth through at once).
 * With Redis, the spacing is kept in Redis and shared by every instance with the same id; without,
 * each instance takes `rps / instances`.
 */
export function createStorefrontLimiter(settings: StorefrontLimiterSettings): Bottleneck {
  if (settings.redisUrl) {
    return new Bottleneck({
      id: settings.id ?? 'oms-storefront',
      minTime: 1_000 / settings.rps,
      datastore: 'ioredis',
      clearDatastore: false,
      // Settings are stored in Redis for the group; expire them so a changed rate takes effect eventually.
      timeout: 60 * 60 * 1_000,
      connection: new Bottleneck.IORedisConnection({ client: new Redis(settings.redisUrl) }),
    });
  }
  return new Bottleneck({ minTime: 1_000 / (settings.rps / settings.instances) });
}
