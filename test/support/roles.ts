import { vi } from 'vitest';
import { spawnOms } from './cli.ts';

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

const freePort = () => String(20_000 + Math.floor(Math.random() * 30_000));

export function startRole(args: string[], env: NodeJS.ProcessEnv): RoleProcess {
  const port = freePort();
  const started = spawnOms(args, { ...env, HTTP_PORT: port });
  const base = `http://127.0.0.1:${port}`;
  return {
    args,
    base,
    pid: started.child.pid!,
    output: started.output,
    exited: started.exited,
    kill: async (signal) => {
      started.child.kill(signal);
      return started.exited;
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

/** Stops every role a test started, whatever state it is in. */
export async function stopAll(roles: Iterable<RoleProcess>): Promise<void> {
  await Promise.all([...roles].map((role) => role.kill('SIGKILL')));
}
