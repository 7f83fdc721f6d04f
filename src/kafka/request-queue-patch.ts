import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4 (its last release) re-arms a timer in every broker connection's request queue each
 * time it checks for queued requests, whether or not any wait: with none queued and no throttle the
 * delay is negative, so each connection runs a 1 ms timer loop for as long as it is open
 * (tulios/kafkajs#1556, #1704, #1751; the fixes were never merged). An ingest holds four or more
 * connections: idle, it used 3.6 % of a core, 1.5 % without the loop.
 *
 * Nothing needs the timer while the queue is empty: a request that can't go out at once is queued by
 * `push`, which schedules the check itself, and a finished request checks the queue again. So the
 * check is scheduled only while something waits. Applied once, by importing this module, before any
 * client connects.
 */
interface RequestQueue {
  pending: unknown[];
  scheduleCheckPendingRequests: (this: RequestQueue) => void;
}

const require = createRequire(import.meta.url);
const { prototype } = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueue };
const schedule = prototype.scheduleCheckPendingRequests;
if (typeof schedule !== 'function') {
  throw new Error('request-queue-patch: kafkajs no longer has RequestQueue.scheduleCheckPendingRequests; check whether the idle timer loop is fixed in this version and drop this module');
}

prototype.scheduleCheckPendingRequests = function scheduleWhileQueued(this: RequestQueue) {
  if (this.pending.length > 0) schedule.call(this);
};
