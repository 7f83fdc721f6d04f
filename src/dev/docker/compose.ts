import { spawn } from 'node:child_process';
import path from 'node:path';
import type { StackEndpoints } from '../endpoints.ts';
import { awaitStackReady } from '../health.ts';
import { repoRoot } from '../native/paths.ts';
import { dockerEngineAnswers } from './engine.ts';
import { ensureDevCodecToken, ensureDevKeyRing } from '../dev-keys.ts';

const COMPOSE_FILE = path.join(repoRoot, 'docker-compose.yml');

/** The infrastructure services of docker-compose.yml: the dev stack, without the service itself. */
export const INFRA_SERVICES = ['kafka', 'schema-registry', 'temporal', 'redis', 'zipkin'] as const;

/**
 * The endpoints docker-compose.yml publishes on the host: the same ports as the native stack. Roles run
 * on the host against it encrypt with the local ring, as on the native stack (made here if missing).
 */
export function composeEndpoints(): StackEndpoints {
  return {
    kafkaBrokers: '127.0.0.1:9092',
    schemaRegistryUrl: 'http://127.0.0.1:8081',
    temporalAddress: '127.0.0.1:7233',
    redisUrl: 'redis://127.0.0.1:6379',
    temporalKeysFile: ensureDevKeyRing(),
    zipkinUrl: 'http://127.0.0.1:9411',
  };
}

async function compose(args: string[]): Promise<void> {
  if (!(await dockerEngineAnswers())) {
    throw new Error('--docker was asked for, but no Docker engine answers (`docker info` failed). Start Docker, or drop --docker to run the native stack.');
  }
  await new Promise<void>((resolve, reject) => {
    // The user asked for Docker: show compose's own progress, on stderr so stdout stays env lines.
    // The UI in the compose file finds the codec server with this token: the host's, which `oms start` serves with.
    const env = { ...process.env, OMS_CODEC_SERVER_TOKEN: process.env.OMS_CODEC_SERVER_TOKEN ?? ensureDevCodecToken() };
    const child = spawn('docker', ['compose', '-f', COMPOSE_FILE, ...args], { stdio: ['ignore', 2, 2], env });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker compose ${args[0]} exited with ${code}`))));
  });
}

export async function composeUp(): Promise<StackEndpoints> {
  await compose(['up', '--detach', '--wait', ...INFRA_SERVICES]);
  const endpoints = composeEndpoints();
  await awaitStackReady(endpoints);
  return endpoints;
}

/** Stops the containers; the named volumes (Kafka's log dirs, Temporal's sqlite file) stay for the next `up`. */
export async function composeDown(): Promise<void> {
  await compose(['down']);
}

export async function composeReset(): Promise<void> {
  await compose(['down', '--volumes']);
}

export async function composeStatus(): Promise<void> {
  await compose(['ps']);
}
