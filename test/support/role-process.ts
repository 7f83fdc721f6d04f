import { createWriteStream, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { spawnOms } from './cli.ts';
import { randomPort } from './names.ts';

// Free of vitest, so the benchmarks start roles the same way the tests do.
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
  /** The process's peak resident memory so far, in MB (Linux's VmHWM). */
  peakRssMb(): Promise<number>;
}


/** Every role's output also goes to a file here, to read after a failure: `.cache/test-output/roles/`. */
export const roleLogDir = path.resolve(import.meta.dirname, '../../.cache/test-output/roles');
let started = 0;

/** `entry`: another checkout's `oms` (the bench runs an older main beside today's code). */
export function startRole(args: string[], env: NodeJS.ProcessEnv, entry?: string): RoleProcess {
  const port = randomPort();
  const spawned = spawnOms(args, { ...env, HTTP_PORT: port }, entry);
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
    peakRssMb: async () => {
      const status = await readFile(`/proc/${spawned.child.pid}/status`, 'utf8');
      return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN) / 1024;
    },
  };
}
