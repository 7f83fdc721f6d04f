import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { nodeFlagsFor } from '../../src/cli/node-flags.mjs';

export const omsEntry = path.resolve(import.meta.dirname, '../../src/cli/oms.ts');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `oms <args>` to completion in a child process with exactly the given environment on top of PATH and HOME. */
export function runOms(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000, entry = omsEntry): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [entry, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Starts a long-running `oms <args>`, with the role's heap budget as the `oms` launcher gives it; its output is collected for assertions. */
export function spawnOms(args: string[], env: NodeJS.ProcessEnv, entry = omsEntry): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [...nodeFlagsFor(args[0], env.NODE_OPTIONS ?? ''), entry, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}
