import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, vi } from 'vitest';
import { spawnOms } from './cli.ts';
import { randomPort } from './names.ts';
import { startTestService, type TestService } from './service.ts';

/**
 * A role run as operators run it: a separate `oms` process with its own probe port, which the test
 * can SIGKILL, SIGTERM and start again with the same identity.
 */
export interface RoleProcess {
  args: string[];
  base: string;
  pid: number;
  output(): string;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
  /** Sum of one Prometheus counter over all its label sets, read from this process's /metrics (0 when unreachable). */
  counter(name: string): Promise<number>;
}


/** Every role's output also goes to a file here, to read after a failure: `.cache/test-output/roles/`. */
export const roleLogDir = path.resolve(import.meta.dirname, '../../.cache/test-output/roles');
let started = 0;

export function startRole(args: string[], env: NodeJS.ProcessEnv): RoleProcess {
  const port = randomPort();
  const spawned = spawnOms(args, { ...env, HTTP_PORT: port });
  mkdirSync(roleLogDir, { recursive: true });
  const log = createWriteStream(path.join(roleLogDir, `${new Date().toISOString().replaceAll(':', '')}-${(started += 1)}-${args.join('-')}.log`));
  spawned.child.stdout?.pipe(log);
  spawned.child.stderr?.pipe(log);
  const base = `http://127.0.0.1:${port}`;
  return {
    args,
    base,
    pid: spawned.child.pid!,
    output: spawned.output,
    exited: spawned.exited,
    kill: async (signal) => {
      spawned.child.kill(signal);
      return spawned.exited;
    },
    counter: async (name) => {
      const text = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(2_000) }).then(
        (response) => response.text(),
        () => '',
      );
      const pattern = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm');
      return [...text.matchAll(pattern)].reduce((sum, match) => sum + Number(match[1]), 0);
    },
  };
}

export async function untilReady(role: RoleProcess, timeoutMs = 60_000): Promise<void> {
  await vi.waitFor(
    async () => {
      const response = await fetch(`${role.base}/readyz`).catch(() => undefined);
      if (response?.status !== 200) throw new Error(`${role.args.join(' ')} not ready; output so far:\n${role.output().slice(-2_000)}`);
    },
    { timeout: timeoutMs, interval: 100 },
  );
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
