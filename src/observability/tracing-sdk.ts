import { hostname } from 'node:os';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Config } from '../config/config.ts';
import type { Tracing } from './tracing.ts';
import { OrderIdSpanProcessor } from './order-spans.ts';

export type TracingConfig = Config['tracing'];

/** Each exporter loads only when chosen: the gRPC one alone brings a transport of its own. */
async function exporterFor(config: TracingConfig): Promise<SpanExporter> {
  if (config.exporter === 'zipkin') return new (await import('@opentelemetry/exporter-zipkin')).ZipkinExporter({ url: config.zipkinEndpoint });
  const endpoint = config.otlp.endpoint!;
  // The OTLP/HTTP exporters take the signal's full URL; OTEL_EXPORTER_OTLP_ENDPOINT is the collector's base.
  const httpUrl = `${endpoint.replace(/\/+$/, '')}/v1/traces`;
  switch (config.otlp.protocol) {
    case 'grpc':
      return new (await import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter({ url: endpoint });
    case 'http/json':
      return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter({ url: httpUrl });
    case 'http/protobuf':
      return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter({ url: httpUrl });
  }
}

function samplerFor({ name, ratio }: TracingConfig['sampler']): Sampler {
  const root = { always_on: new AlwaysOnSampler(), always_off: new AlwaysOffSampler(), traceidratio: new TraceIdRatioBasedSampler(ratio) };
  switch (name) {
    case 'always_on':
    case 'always_off':
    case 'traceidratio':
      return root[name];
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: root.always_on });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: root.always_off });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: root.traceidratio });
  }
}

/**
 * Sets up the OpenTelemetry SDK for this process, from the OTEL_* settings: a batch exporter, the
 * sampler, W3C trace context, and the fetch (undici) instrumentation. Call it before any role starts.
 */
export async function startSdk(config: TracingConfig, roles: readonly string[]): Promise<Tracing> {
  const exporter = await exporterFor(config);
  const resource = resourceFromAttributes({
    ...config.resourceAttributes,
    [ATTR_SERVICE_NAME]: config.serviceName,
    'service.instance.id': config.instanceId,
    'host.name': hostname(),
    'process.pid': process.pid,
    'oms.role': roles.join(','),
  });
  const processor = new OrderIdSpanProcessor(new BatchSpanProcessor(exporter, config.batch));
  const sampler = samplerFor(config.sampler);
  const provider = new NodeTracerProvider({ resource, sampler, spanProcessors: [processor] });
  provider.register();
  const unregister = registerInstrumentations({ instrumentations: [new UndiciInstrumentation({ ignoreRequestHook: (request) => request.origin.startsWith('data:') })] });
  return {
    enabled: true,
    processor,
    resource,
    sampler,
    shutdown: async () => {
      unregister();
      await provider.shutdown();
    },
  };
}
