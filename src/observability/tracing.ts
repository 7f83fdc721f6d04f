import type { Resource } from '@opentelemetry/resources';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { Config } from '../config/config.ts';

/** A process's tracing: `enabled` is false when no endpoint is set, and then the OpenTelemetry API stays a no-op. */
export interface Tracing {
  enabled: boolean;
  /** Where spans made elsewhere go (the workflows' sink); undefined when disabled. */
  processor?: SpanProcessor;
  resource?: Resource;
  /** The configured sampler, for root spans made where it doesn't run (the workflows' sandbox). */
  sampler?: Sampler;
  /** Exports what is still queued. */
  shutdown(): Promise<void>;
}

const DISABLED: Tracing = { enabled: false, shutdown: async () => undefined };
let current: Tracing = DISABLED;

/** This process's tracing, once `startTracing` has set it up; disabled before, and without an endpoint. */
export const tracing = (): Tracing => current;

/**
 * Starts tracing when an exporter has an endpoint. The SDK and its exporters load only then: a process
 * that doesn't trace doesn't pay for them at start.
 */
export async function startTracing(config: Config['tracing'], roles: readonly string[]): Promise<Tracing> {
  const endpoint = config.exporter === 'zipkin' ? config.zipkinEndpoint : config.exporter === 'otlp' ? config.otlp.endpoint : undefined;
  if (!endpoint) return (current = DISABLED);
  current = await (await import('./tracing-sdk.ts')).startSdk(config, roles);
  return current;
}
