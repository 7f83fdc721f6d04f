import { context, trace } from '@opentelemetry/api';
import { ApplicationFailure } from '@temporalio/common';
import Bottleneck from 'bottleneck';
import pLimit from 'p-limit';
import { Redis } from 'ioredis';
import type { Counter, Gauge } from 'prom-client';
import type { Logger } from '../../observability/logger.ts';

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

/** The budget every call to the commerce app waits its turn in. */
export interface RequestBudget {
  schedule<T>(request: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Requests are spaced for 96 % of the limit. The commerce app counts requests as they arrive, and
 * arrivals jitter (timers, the network, a pause on either side): evenly spaced at exactly the limit,
 * a window stretched by a few milliseconds holds one request too many and gets a 429. 4 % absorbs
 * ~40 ms of lateness a second; 3 % (~30 ms) let a busy CI machine through with a few 429s.
 */
export const SEND_HEADROOM = 0.96;

/** The limiter could not say when to send (Redis down, a script error): retryable, never a hang. */
export const LIMITER_UNAVAILABLE = 'StorefrontLimiterUnavailable';

const REDIS_ANSWER_MS = 2_000;

/**
 * All storefront calls go through this limiter. `minTime` spaces requests evenly, so no one-second
 * window sees more than the limit (a reservoir would let a full second's worth through at once).
 * With Redis, the spacing is kept in Redis and shared by every instance with the same id; without,
 * each instance takes `rps / instances`.
 *
 * Two Bottleneck behaviours shape the Redis set-up:
 * - its scripts pass `nextRequest + timeout` to PEXPIRE, which takes whole milliseconds only: with a
 *   `timeout` set, any rate that does not divide 1000 (150/s is 6.67 ms) fails every call. So no
 *   `timeout`; the group's few keys stay in Redis.
 * - a limiter joining a group keeps the settings already in Redis. So each process writes its own
 *   rate on start: a changed STOREFRONT_RPS takes effect when the workers restart.
 * A failure inside Bottleneck is only an 'error' event while the job waits forever, so that event
 * fails every waiting call with LIMITER_UNAVAILABLE.
 */
export async function createStorefrontLimiter(settings: StorefrontLimiterSettings, observe: { logger: Logger; failures?: Counter<'reason'>; waiting?: Gauge; sent?: Counter }): Promise<RequestBudget> {
  const perInstance = settings.redisUrl ? settings.rps : settings.rps / settings.instances;
  const minTime = 1_000 / (perInstance * SEND_HEADROOM);
  if (!settings.redisUrl) return guarded(new Bottleneck({ minTime }), observe);

  const client = new Redis(settings.redisUrl, { maxRetriesPerRequest: 1, commandTimeout: REDIS_ANSWER_MS, connectTimeout: REDIS_ANSWER_MS });
  const connection = new Bottleneck.IORedisConnection({ client });
  const limiter = new Bottleneck({ id: settings.id ?? 'oms-storefront', minTime, datastore: 'ioredis', clearDatastore: false, connection });
  const budget = guarded(limiter, observe, connection);
  try {
    await Promise.race([
      limiter.ready(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer in ${REDIS_ANSWER_MS * 5} ms`)), REDIS_ANSWER_MS * 5).unref()),
    ]);
    // Queued on the same connection ahead of any job, so it applies before the first one registers.
    limiter.updateSettings({ minTime });
  } catch (error) {
    await budget.close();
    throw new Error(`STOREFRONT_LIMITER_REDIS_URL: the shared storefront limit can't be set up in Redis at ${new URL(settings.redisUrl).host}: ${(error as Error).message}`, { cause: error });
  }
  return budget;
}

/**
 * A request goes out within this long after its slot, or takes a new one. Timers fire late when the
 * event loop is busy (start-up, a GC pause), and late requests bunch up with the on-time ones after
 * them; bounding the lateness keeps every one-second window within the headroom.
 */
const MAX_LATE_MS = 15;
/**
 * A late request takes one new slot, no more: a process starved of CPU fires most timers late, and
 * giving every late slot away would cut its rate to a fraction of the limit. The second time it goes.
 */
const MAX_RESLOTS = 1;
/** Slots one process holds at once; enough to keep the shared rate whatever the Redis round trip. */
const SLOTS_HELD = 4;

function guarded(limiter: Bottleneck, observe: { logger: Logger; failures?: Counter<'reason'>; waiting?: Gauge; sent?: Counter }, connection?: Bottleneck.IORedisConnection): RequestBudget {
  const waiting = new Set<(error: Error) => void>();
  let closed = false;
  const fail = (error: Error) => {
    if (closed) return;
    observe.failures?.inc({ reason: error.name || 'Error' });
    observe.logger.error({ error: error.message, waiting: waiting.size }, 'storefront limiter failed: failing the calls waiting for it (Temporal retries them)');
    const failure = ApplicationFailure.retryable(`storefront limiter unavailable: ${error.message}`, LIMITER_UNAVAILABLE);
    for (const reject of waiting) reject(failure);
    waiting.clear();
    observe.waiting?.set(0);
  };
  limiter.on('error', fail);
  connection?.on('error', fail);

  // When each job's slot is: Bottleneck knows it only inside `_run`, which gets the wait Redis (or
  // the local store) computed when the job registered. Counted from when the registration was sent,
  // so a reply that reached a busy process late shows as lateness too. Bottleneck 2.19.5 is the last
  // release, so these internals hold still.
  const slots = new WeakMap<object, number>();
  const askedAt = new Map<string, number>();
  const internals = limiter as unknown as {
    _run(index: string, job: { task: object }, wait: number): unknown;
    _store: { __register__(index: string, ...rest: unknown[]): Promise<unknown> };
  };
  const register = internals._store.__register__.bind(internals._store);
  internals._store.__register__ = (index, ...rest) => {
    askedAt.set(index, Date.now());
    return register(index, ...rest).catch((error: unknown) => {
      askedAt.delete(index);
      throw error;
    });
  };
  const run = internals._run.bind(limiter);
  internals._run = (index, job, wait) => {
    slots.set(job.task, (askedAt.get(index) ?? Date.now()) + wait);
    askedAt.delete(index);
    return run(index, job, wait);
  };

  // Each process holds only a few slots at once: a stall then makes only those few late, instead of
  // every call queued in the process (64 at the default concurrency), each of which would take a new slot.
  const booking = pLimit(SLOTS_HELD);
  /** Runs `job` at its slot, told how late it is; the process holds the slot from booking until the job starts. */
  const atSlot = <R>(job: (lateMs: number) => Promise<R>): Promise<R> =>
    new Promise<R>((resolve, reject) => {
      void booking(
        () =>
          new Promise<void>((release) => {
            const task = async () => {
              release();
              return job(Date.now() - (slots.get(task) ?? Date.now()));
            };
            limiter.schedule(task).then(resolve, reject).finally(release);
          }),
      );
    });

  return {
    schedule: <T>(request: () => Promise<T>) =>
      new Promise<T>((resolve, reject) => {
        // The caller's span: the wait for a slot is recorded on it, and the request runs in it.
        const caller = context.active();
        const askedAt = Date.now();
        waiting.add(reject);
        observe.waiting?.set(waiting.size);
        const attempt = (reslots: number): void => {
          let turn = false;
          atSlot(async (lateMs) => {
            // A call already failed by `fail` gives its turn away unused.
            if (!waiting.has(reject)) return undefined;
            if (lateMs > MAX_LATE_MS && reslots < MAX_RESLOTS) return void attempt(reslots + 1);
            waiting.delete(reject);
            observe.waiting?.set(waiting.size);
            observe.sent?.inc();
            turn = true;
            trace.getSpan(caller)?.addEvent('storefront limiter slot', { 'oms.limiter.wait_ms': Date.now() - askedAt, 'oms.limiter.reslots': reslots });
            return context.with(caller, request);
          }).then(
            (value) => {
              if (turn) resolve(value as T);
            },
            (error: Error) => {
              if (turn) reject(error);
              else if (waiting.has(reject)) fail(error);
            },
          );
        };
        attempt(0);
      }),
    close: async () => {
      closed = true;
      if (!connection) return void (await limiter.disconnect(false));
      // Through the connection, not the limiter: Bottleneck's own disconnect of a limiter on a shared
      // connection drops the promise of its UNSUBSCRIBE, which rejects unhandled if Redis is gone.
      const quit = connection.disconnect(true).then(() => true, () => false);
      const timedOut = new Promise<false>((resolve) => setTimeout(() => resolve(false), REDIS_ANSWER_MS).unref());
      if (!(await Promise.race([quit, timedOut]))) await connection.disconnect(false);
    },
  };
}
