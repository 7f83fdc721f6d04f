import { loadConfig } from '../config/config.ts';
import { ensureDevCodecToken, ensureDevGatewaySecrets } from './dev-keys.ts';
import { endpointsToEnv, tracingEnv } from './endpoints.ts';
import { nativeUp, type Progress } from './native/stack.ts';
import { nativeEndpoints, nativePorts } from './native/services.ts';
import { startPaymentProviderStandin } from './standins/payment-provider.ts';
import { startRiskServiceStandin } from './standins/risk-service.ts';
import { startStorefrontStandin } from './standins/storefront.ts';

/** Without these, a command means "the local stack": `oms start` brings it up, `oms demo` talks to it. */
export const ENDPOINT_VARIABLES = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'TEMPORAL_ADDRESS'] as const;

export function usesLocalStack(env: NodeJS.ProcessEnv): boolean {
  return ENDPOINT_VARIABLES.every((name) => !env[name]);
}

/** The settings that point a command at the local stack and the stand-ins, where `oms start` runs them. */
export function localEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  if (!usesLocalStack(env)) return {};
  const config = loadConfig(env);
  const ports = nativePorts();
  const endpoints = nativeEndpoints(ports);
  const tracingConfigured = env.OTEL_TRACES_EXPORTER || env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_ZIPKIN_ENDPOINT;
  return {
    ...endpointsToEnv(endpoints),
    // Every role's spans to the stack's trace viewer, unless tracing is configured already.
    ...(tracingConfigured ? {} : tracingEnv(endpoints)),
    ...(env.TEMPORAL_UI_URL ? {} : { TEMPORAL_UI_URL: `http://127.0.0.1:${ports.temporalUi}` }),
    ...(env.TRACE_VIEWER_URL || !endpoints.zipkinUrl ? {} : { TRACE_VIEWER_URL: `${endpoints.zipkinUrl}/zipkin/traces/{traceId}` }),
    ...(env.STOREFRONT_BASE_URL ? {} : { STOREFRONT_BASE_URL: `http://127.0.0.1:${config.standins.storefrontPort}` }),
    ...(env.PAYMENT_PROVIDER_BASE_URL ? {} : { PAYMENT_PROVIDER_BASE_URL: `http://127.0.0.1:${config.standins.paymentProviderPort}` }),
    ...(env.RISK_BASE_URL ? {} : { RISK_BASE_URL: `http://127.0.0.1:${config.standins.riskPort}` }),
    // Where the local Temporal UI expects the codec server (see the temporal service's --ui-codec-endpoint).
    CODEC_SERVER_PORT: String(ports.codecServer),
    CODEC_SERVER_TOKENS: ensureDevCodecToken(),
    CODEC_SERVER_UI_ORIGINS: `http://127.0.0.1:${ports.temporalUi},http://localhost:${ports.temporalUi}`,
    // `oms start` runs the gateway with these, and `oms demo --via gateway` signs with them.
    ...(env.GATEWAY_SECRETS || env.GATEWAY_SECRETS_FILE ? {} : { GATEWAY_SECRETS_FILE: ensureDevGatewaySecrets() }),
  };
}

export interface StartedStandins {
  storefrontUrl: string;
  paymentProviderUrl: string;
  riskUrl: string;
  close(): Promise<void>;
}

/** The commerce app, payment provider and risk service stand-ins on their configured ports (`oms standins`, and `oms start` locally). */
export async function startStandins(env: NodeJS.ProcessEnv): Promise<StartedStandins> {
  const config = loadConfig(env);
  const storefront = await startStorefrontStandin({ port: config.standins.storefrontPort, rateLimitRps: config.standins.storefrontRps, host: config.http.host });
  const paymentProvider = await startPaymentProviderStandin({ port: config.standins.paymentProviderPort, host: config.http.host });
  const risk = await startRiskServiceStandin({ port: config.standins.riskPort, host: config.http.host });
  return {
    storefrontUrl: storefront.url,
    paymentProviderUrl: paymentProvider.url,
    riskUrl: risk.url,
    close: async () => {
      await storefront.close();
      await paymentProvider.close();
      await risk.close();
    },
  };
}

/**
 * `oms start` with no endpoints configured: bring up the local stack (as `oms dev up`) and the
 * stand-ins, say so, and hand back the settings that point the service at them.
 */
export async function startLocalDependencies(env: NodeJS.ProcessEnv, progress: Progress): Promise<{ env: Record<string, string>; close(): Promise<void> }> {
  if (!usesLocalStack(env)) return { env: {}, close: async () => undefined };
  progress(`no endpoints configured (${ENDPOINT_VARIABLES.join(', ')}): starting the local stack, as \`oms dev up\``);
  await nativeUp({ progress });
  const additions = localEnv(env);
  const standins = await startStandins(env);
  progress(`storefront stand-in on ${standins.storefrontUrl}, payment-provider stand-in on ${standins.paymentProviderUrl}, risk-service stand-in on ${standins.riskUrl}`);
  const ports = nativePorts();
  progress(`Temporal UI: http://127.0.0.1:${ports.temporalUi}   traces (Zipkin): ${nativeEndpoints(ports).zipkinUrl}/zipkin/`);
  return { env: additions, close: () => standins.close() };
}
