import type { StandinReply, StandinRequest } from './http-server.ts';

/**
 * A fault the test or demo injects: requests matching method and path prefix answer `status`.
 * `afterApplying` makes the stand-in do the work first and then fail the response, as when an
 * answer is lost on the way back. `times` bounds how often it fires (default: until cleared).
 */
export interface StandinFault {
  method: string;
  pathPrefix: string;
  status: number;
  afterApplying?: boolean;
  times?: number;
}

/** The `/_faults` resource every stand-in has: GET lists, POST adds, DELETE clears. */
export function faultInjection() {
  const faults: StandinFault[] = [];
  return {
    route(request: StandinRequest): StandinReply {
      if (request.method === 'DELETE') faults.length = 0;
      else if (request.method === 'POST') {
        const fault = request.body as Partial<StandinFault> | null;
        if (typeof fault?.method !== 'string' || typeof fault.pathPrefix !== 'string' || typeof fault.status !== 'number') {
          return { status: 400, body: { error: 'a fault needs method, pathPrefix and status' } };
        }
        faults.push(fault as StandinFault);
      } else if (request.method !== 'GET') return { status: 405, body: { error: 'GET, POST or DELETE' } };
      return { status: 200, body: faults };
    },
    /** Answers `request` with `api`, unless a fault matches: then the fault answers, before or after `api` ran. */
    apply(request: StandinRequest, api: (request: StandinRequest) => StandinReply): StandinReply {
      const path = `/${request.path.join('/')}`;
      const fault = faults.find((f) => f.method === request.method && path.startsWith(f.pathPrefix) && (f.times === undefined || f.times > 0));
      if (fault && fault.times !== undefined) fault.times -= 1;
      if (fault && !fault.afterApplying) return { status: fault.status, body: { error: 'injected fault' } };
      const reply = api(request);
      return fault ? { status: fault.status, body: { error: 'injected fault (after applying)' } } : reply;
    },
  };
}
