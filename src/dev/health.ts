import { Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import net from 'node:net';
import type { StackEndpoints } from './endpoints.ts';

/**
 * Real health checks, one per service: each asks the service to do a small piece of its actual job
 * (list brokers, list subjects, describe the namespace, PING), so "up" means usable, not "port open".
 * All three ways of running the stack (native, docker compose, testcontainers) use these.
 */
export type HealthCheck = () => Promise<boolean>;

/** Whether anything accepts a TCP connection on 127.0.0.1:`port`: that a port is taken, or a proxy of ours listens. */
export function portAnswers(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(timeoutMs);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

export function kafkaHealth(brokers: string, security: Pick<KafkaConfig, 'ssl' | 'sasl'> = {}): HealthCheck {
  return async () => {
    const admin = new Kafka({
      clientId: 'oms-health',
      brokers: brokers.split(','),
      ...security,
      connectionTimeout: 1_000,
      requestTimeout: 2_000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0 && cluster.controller !== null;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };
}

export function schemaRegistryHealth(baseUrl: string): HealthCheck {
  return async () => {
    try {
      const response = await fetch(`${baseUrl}/subjects`, { signal: AbortSignal.timeout(2_000) });
      return response.ok && Array.isArray(await response.json());
    } catch {
      return false;
    }
  };
}

export function zipkinHealth(baseUrl: string): HealthCheck {
  return async () => {
    try {
      const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      return response.ok && ((await response.json()) as { status?: string }).status === 'UP';
    } catch {
      return false;
    }
  };
}

export function temporalHealth(address: string, namespace = 'default'): HealthCheck {
  return async () => {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 2_000 });
      await connection.workflowService.describeNamespace({ namespace });
      return true;
    } catch {
      return false;
    } finally {
      await connection?.close().catch(() => undefined);
    }
  };
}

export function redisHealth(url: string): HealthCheck {
  return async () => {
    const redis = new Redis(url, {
      lazyConnect: true,
      connectTimeout: 1_000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      return (await redis.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      redis.disconnect();
    }
  };
}

export function stackHealthChecks(endpoints: StackEndpoints): Record<string, HealthCheck> {
  return {
    kafka: kafkaHealth(endpoints.kafkaBrokers),
    'schema-registry': schemaRegistryHealth(endpoints.schemaRegistryUrl),
    temporal: temporalHealth(endpoints.temporalAddress),
    redis: redisHealth(endpoints.redisUrl),
    ...(endpoints.zipkinUrl ? { zipkin: zipkinHealth(endpoints.zipkinUrl) } : {}),
  };
}

export class ServiceNotHealthyError extends Error {
  constructor(what: string, timeoutMs: number, detail?: string) {
    super(`${what} did not become healthy within ${Math.round(timeoutMs / 1000)}s${detail ? `\n${detail}` : ''}`);
    this.name = 'ServiceNotHealthyError';
  }
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Called between polls; throw from it to stop waiting early (e.g. the process died). */
  onPoll?: () => void;
}

export async function waitUntilHealthy(what: string, check: HealthCheck, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await check()) return;
    options.onPoll?.();
    if (Date.now() > deadline) throw new ServiceNotHealthyError(what, options.timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}

/**
 * The project relies on BACKWARD compatibility being enforced for every subject (a schema change
 * that drops a required field must be refused), so every stack gets the same global rule.
 */
export async function setGlobalCompatibility(schemaRegistryUrl: string, level = 'BACKWARD'): Promise<void> {
  const response = await fetch(`${schemaRegistryUrl}/config`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility: level }),
  });
  if (!response.ok) {
    throw new Error(`Schema registry refused global compatibility ${level}: ${response.status} ${await response.text()}`);
  }
}

/** Waits for all four services, then applies the registry rule: the same finish line for every way of running the stack. */
export async function awaitStackReady(endpoints: StackEndpoints, timeoutMs = 120_000): Promise<void> {
  await Promise.all(
    Object.entries(stackHealthChecks(endpoints)).map(([name, check]) => waitUntilHealthy(name, check, { timeoutMs })),
  );
  await setGlobalCompatibility(endpoints.schemaRegistryUrl);
}
