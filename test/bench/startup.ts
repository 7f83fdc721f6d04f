import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findJava } from '../../src/dev/native/prerequisites.ts';
import { cachePaths } from '../../src/dev/native/paths.ts';
import { loadToolchain, toolBinary } from '../../src/dev/native/toolchain.ts';
import { runOms } from '../support/cli.ts';

/** Ports of the bench's start-up stacks, beside its own stack (23000-23006). */
const PORTS = { OMS_DEV_KAFKA_PORT: '24000', OMS_DEV_KAFKA_CONTROLLER_PORT: '24001', OMS_DEV_SCHEMA_REGISTRY_PORT: '24002', OMS_DEV_SCHEMA_REGISTRY_MANAGEMENT_PORT: '24003', OMS_DEV_TEMPORAL_PORT: '24004', OMS_DEV_TEMPORAL_UI_PORT: '24005', OMS_DEV_REDIS_PORT: '24006', OMS_DEV_ZIPKIN_PORT: '24007' };

async function bytesIn(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const sizes = await Promise.all(entries.map(async (entry) => (entry.isDirectory() ? bytesIn(path.join(dir, entry.name)) : (await stat(path.join(dir, entry.name))).size)));
  return sizes.reduce((sum, size) => sum + size, 0);
}

/** A machine's own trust settings (a proxy's CA) reach the fetch, as they would from a user's shell. */
const trust = process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {};

async function timed(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  const result = await runOms(args, { ...trust, ...env }, 600_000);
  if (result.code !== 0) throw new Error(`bench: oms ${args.join(' ')} failed: ${result.stderr.trim().split('\n').at(-1)}`);
  return (performance.now() - started) / 1_000;
}

/** One `oms dev up` to healthy on a fresh state folder, then down: seconds. */
async function upOnce(env: NodeJS.ProcessEnv): Promise<number> {
  const state = await mkdtemp(path.join(tmpdir(), 'oms-bench-up-'));
  const withState = { ...env, ...PORTS, OMS_DEV_STATE_DIR: state };
  try {
    return await timed(['dev', 'up'], withState);
  } finally {
    await runOms(['dev', 'down'], withState);
    await rm(state, { recursive: true, force: true });
  }
}

export interface StartupFigures {
  firstInstall: { seconds: number; megabytes: number };
  secondInstall: { seconds: number };
  up: { pinned: number[]; system: number[] | string };
}

/**
 * What Node-only costs at start: the pinned tools fetched into an empty cache and a second, warm
 * install; then `oms dev up` with the pinned tools and with the machine's (java, redis-server, and the
 * same temporal CLI), in turns A B B A on fresh state. The machine's side is left out, said why, where
 * it lacks them.
 */
export async function startupFigures(): Promise<StartupFigures> {
  const empty = await mkdtemp(path.join(tmpdir(), 'oms-bench-cache-'));
  try {
    const cold = await timed(['dev', 'install'], { OMS_CACHE_DIR: empty });
    const megabytes = (await bytesIn(path.join(empty, 'downloads'))) / 1e6;
    const warm = await timed(['dev', 'install'], { OMS_CACHE_DIR: empty });

    const pinned: number[] = [];
    const system: number[] = [];
    const lacking = await systemLacks();
    const systemEnv = lacking ? undefined : await systemToolsEnv();
    for (const side of ['pinned', 'system', 'system', 'pinned'] as const) {
      if (side === 'pinned') pinned.push(await upOnce({}));
      else if (systemEnv) system.push(await upOnce(systemEnv));
    }
    return { firstInstall: { seconds: cold, megabytes }, secondInstall: { seconds: warm }, up: { pinned, system: lacking ?? system } };
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
}

async function systemLacks(): Promise<string | undefined> {
  const missing = [];
  if (!(await findJava().then(() => true, () => false))) missing.push('java 21+');
  if (!existsSync('/usr/bin/redis-server')) missing.push('redis-server');
  return missing.length > 0 ? `not measured: the machine lacks ${missing.join(' and ')}` : undefined;
}

/** The machine's java and redis-server; its temporal is the pinned one on PATH (the same release the venv held). */
async function systemToolsEnv(): Promise<NodeJS.ProcessEnv> {
  const bin = await mkdtemp(path.join(tmpdir(), 'oms-bench-bin-'));
  const temporal = (await loadToolchain()).find((artifact) => artifact.name === 'temporal')!;
  await symlink(toolBinary(cachePaths(), temporal)!, path.join(bin, 'temporal'));
  return { OMS_DEV_TOOLS: 'system', PATH: `${bin}${path.delimiter}${process.env.PATH}` };
}
