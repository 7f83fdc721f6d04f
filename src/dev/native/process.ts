import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/**
 * A process we started, identified by pid *and* kernel start time: a pid alone can be reused by an
 * unrelated process after ours died, and `down` must never signal a process that is not ours.
 */
export interface OwnedProcess {
  pid: number;
  startTime: string;
}

function procStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state is field 3 of the line, starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', startTime: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

export function isAlive(owned: OwnedProcess): boolean {
  const stat = procStat(owned.pid);
  return stat !== undefined && stat.startTime === owned.startTime && stat.state !== 'Z';
}

export interface SpawnSpec {
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
}

/** Starts a detached process in its own process group, writing stdout and stderr to its log file. */
export function spawnDetached(spec: SpawnSpec): OwnedProcess {
  const logFd = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    if (child.pid === undefined) throw new Error(`Could not start ${spec.command}`);
    child.unref();
    const startTime = procStat(child.pid)?.startTime;
    if (startTime === undefined) throw new Error(`${spec.command} exited immediately; see ${spec.logFile}`);
    return { pid: child.pid, startTime };
  } finally {
    closeSync(logFd);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** SIGTERM to the process group we created, SIGKILL if it has not gone after the grace period. */
export async function stopOwned(owned: OwnedProcess, graceMs = 20_000): Promise<void> {
  if (!isAlive(owned)) return;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-owned.pid, signal);
    } catch {
      // Already gone.
    }
  };
  signalGroup('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(owned) && Date.now() < deadline) await sleep(100);
  if (isAlive(owned)) {
    signalGroup('SIGKILL');
    while (isAlive(owned)) await sleep(50);
  }
}

export async function logTail(logFile: string, lines = 20): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
