import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { devKeyRingFile } from '../../src/dev/dev-keys.ts';
import type { StackEndpoints } from '../../src/dev/endpoints.ts';
import { cachePaths } from '../../src/dev/native/paths.ts';
import type { OwnedProcess } from '../../src/dev/native/process.ts';
import type { ServiceName } from '../../src/dev/native/services.ts';
import { omsEntry, type CliResult } from './cli.ts';

/**
 * A local stack of a test's own, driven through the real `oms dev` command: its own state folder and
 * seven ports from `portBase` on, sharing the downloaded runtimes, so tests that stop,
 * kill or wipe services never touch the stack the rest of the suite runs on.
 */
export interface PrivateStack {
  stateDir: string;
  env: NodeJS.ProcessEnv;
  endpoints: StackEndpoints;
  dev: (...args: string[]) => Promise<CliResult>;
  /** The processes `oms dev up` recorded, by service. */
  processes: () => Promise<Partial<Record<ServiceName, OwnedProcess>>>;
}

export async function privateStack(portBase: number, overrides: NodeJS.ProcessEnv = {}): Promise<PrivateStack> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'oms-stack-'));
  const port = (offset: number) => String(portBase + offset);
  const env = {
    ...process.env,
    OMS_DEV_STATE_DIR: stateDir,
    OMS_DEV_KAFKA_PORT: port(0),
    OMS_DEV_KAFKA_CONTROLLER_PORT: port(1),
    OMS_DEV_SCHEMA_REGISTRY_PORT: port(2),
    OMS_DEV_SCHEMA_REGISTRY_MANAGEMENT_PORT: port(3),
    OMS_DEV_TEMPORAL_PORT: port(4),
    OMS_DEV_TEMPORAL_UI_PORT: port(5),
    OMS_DEV_REDIS_PORT: port(6),
    OMS_DEV_ZIPKIN_PORT: port(7),
    ...overrides,
  };
  return {
    stateDir,
    env,
    endpoints: {
      kafkaBrokers: `127.0.0.1:${env.OMS_DEV_KAFKA_PORT}`,
      schemaRegistryUrl: `http://127.0.0.1:${env.OMS_DEV_SCHEMA_REGISTRY_PORT}/apis/ccompat/v7`,
      temporalAddress: `127.0.0.1:${env.OMS_DEV_TEMPORAL_PORT}`,
      redisUrl: `redis://127.0.0.1:${env.OMS_DEV_REDIS_PORT}`,
      zipkinUrl: `http://127.0.0.1:${env.OMS_DEV_ZIPKIN_PORT}`,
      // Made by its first `oms dev up`.
      temporalKeysFile: devKeyRingFile(cachePaths(undefined, stateDir)),
    },
    dev: (...args) =>
      new Promise((resolve) => {
        execFile(process.execPath, [omsEntry, 'dev', ...args], { env, timeout: 240_000 }, (error, stdout, stderr) => {
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
        });
      }),
    processes: async () => {
      const text = await readFile(path.join(stateDir, 'run', 'stack.json'), 'utf8');
      return (JSON.parse(text) as { services: Partial<Record<ServiceName, OwnedProcess>> }).services;
    },
  };
}
