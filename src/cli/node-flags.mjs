// Plain JavaScript: the `oms` launcher (oms.mjs), which must run on any Node, reads it too.
//
// V8 sizes a heap for the machine, not for the process. On Node 24 the young generation grows to
// 2 × 64 MB, and with a 4 GB limit the old generation grows to about 4 × its live size before a full
// collection. An ingest draining a backlog holds about 40 MB of live objects (its window of events is
// bounded), yet sat at 380 MB resident. These budgets hold a role to what it needs: the same drain
// then peaks at 160-180 MB with no more CPU spent collecting.
//
// Every way of starting a role passes them: the `oms` launcher, the compose file's NODE_OPTIONS (a
// test keeps it equal to this table), the benchmarks and the tests. A flag the operator already set in
// NODE_OPTIONS wins.
export const ROLE_NODE_FLAGS = {
  ingest: ['--max-semi-space-size=16', '--max-old-space-size=128'],
};

/** The V8 flags to start `oms <role>` with, less any the operator set in NODE_OPTIONS. */
export function nodeFlagsFor(role, nodeOptions = process.env.NODE_OPTIONS ?? '') {
  const flags = ROLE_NODE_FLAGS[role] ?? [];
  return flags.filter((flag) => !nodeOptions.includes(flag.split('=')[0]));
}
