import type { Command } from 'commander';
import { existsSync } from 'node:fs';

/**
 * What the developer tooling under src/dev (the local stack, the stand-ins, the demo) adds to `oms`.
 * The container image leaves src/dev out, so nothing there can start Java in production; `oms` only
 * loads it when the files are present.
 */
export interface DevTooling {
  register(program: Command): void;
  /** Settings that point a command with no endpoints configured at the local stack and stand-ins. */
  localEnv(env: NodeJS.ProcessEnv): Record<string, string>;
  /** `oms start` with no endpoints configured: starts the local stack and stand-ins, and hands back their settings. */
  startLocalDependencies(env: NodeJS.ProcessEnv, progress: (line: string) => void): Promise<{ env: Record<string, string>; close(): Promise<void> }>;
}

const toolingModule = new URL('../dev/commands.ts', import.meta.url);

export async function loadDevTooling(): Promise<DevTooling | undefined> {
  if (!existsSync(toolingModule)) return undefined;
  return ((await import(toolingModule.href)) as { devTooling: DevTooling }).devTooling;
}
