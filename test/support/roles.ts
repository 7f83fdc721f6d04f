import { afterAll, beforeAll, expect, vi } from 'vitest';
import { describeTaskQueue } from '../../src/temporal/task-queue-health.ts';
import { startRole, type RoleProcess } from './role-process.ts';
import { startTestService, type TestService } from './service.ts';

export { roleLogDir, startRole, type RoleProcess } from './role-process.ts';

export async function untilReady(role: RoleProcess, timeoutMs = 60_000): Promise<void> {
  // A role that died at start (bad config, a port taken) fails the wait at once, with its output.
  let exit: { code: number | null } | undefined;
  void role.exited.then((code) => (exit = { code }));
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${role.base}/readyz`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    await response?.arrayBuffer().catch(() => undefined);
    if (response?.status === 200) return;
    if (exit) throw new Error(`${role.args.join(' ')} exited (${exit.code}) before it was ready; its output:\n${role.output().slice(-2_000)}`);
    if (performance.now() > deadline) throw new Error(`${role.args.join(' ')} not ready in ${timeoutMs} ms; output so far:\n${role.output().slice(-2_000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until `worker` polls the service's orders queue: it reached that server and namespace. */
export async function untilPollingOrders(service: TestService, worker: RoleProcess): Promise<void> {
  await vi.waitFor(async () => {
    const { pollers } = await describeTaskQueue(service.temporal, service.config.taskQueues.orders, 'workflow', 60_000);
    expect(pollers.some((identity) => identity.startsWith(`${worker.pid}@`))).toBe(true);
  }, { timeout: 30_000, interval: 500 });
}

/** The roles a test file starts, on its service's settings, all SIGKILLed at the end whatever their state. */
export function roleSet(baseEnv: () => NodeJS.ProcessEnv) {
  const roles = new Set<RoleProcess>();
  return {
    start: (args: string[], env: NodeJS.ProcessEnv = {}): RoleProcess => {
      const role = startRole(args, { ...baseEnv(), ...env });
      roles.add(role);
      return role;
    },
    stopAll: async () => void (await Promise.all([...roles].map((role) => role.kill('SIGKILL')))),
  };
}

/**
 * For a test file whose roles all run as processes: a service with stand-ins and no in-process roles,
 * set up before its tests and torn down, roles first, after them.
 */
export function withRoleProcesses(): { service: () => TestService; start: (args: string[], env?: NodeJS.ProcessEnv) => RoleProcess } {
  let service: TestService | undefined;
  const roles = roleSet(() => service!.env);
  beforeAll(async () => {
    service = await startTestService({ ingest: false, workerGroups: [] });
  });
  afterAll(async () => {
    await roles.stopAll();
    await service?.stop();
  });
  return { service: () => service!, start: roles.start };
}
