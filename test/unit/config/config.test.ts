import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/config.ts';
import { envExample } from '../../../src/config/describe.ts';
import { runOms } from '../../support/cli.ts';

describe('a bad or missing value stops start-up with one line naming the variable', () => {
  test.each([
    [{ KAFKA_BROKERS: 'kafka' }, 'KAFKA_BROKERS: expected comma-separated host:port pairs, got "kafka"'],
    [{ SCHEMA_REGISTRY_URL: 'registry:8081' }, 'SCHEMA_REGISTRY_URL: expected an http(s) URL, got "registry:8081"'],
    [{ TEMPORAL_ADDRESS: 'temporal' }, 'TEMPORAL_ADDRESS: expected host:port, got "temporal"'],
    [{ INGEST_MAX_IN_FLIGHT: '0' }, 'INGEST_MAX_IN_FLIGHT: expected a whole number >= 1, got "0"'],
    [{ INGEST_MAX_EVENT_BYTES: '1.5' }, 'INGEST_MAX_EVENT_BYTES: expected a whole number, got "1.5"'],
    [{ STOREFRONT_RPS: 'fast' }, 'STOREFRONT_RPS: expected a whole number, got "fast"'],
    [{ HTTP_PORT: '-1' }, 'HTTP_PORT: expected a whole number >= 0, got "-1"'],
    [{ KAFKA_SSL: 'maybe' }, 'KAFKA_SSL: expected true or false, got "maybe"'],
    [{ KAFKA_SASL_MECHANISM: 'kerberos' }, 'KAFKA_SASL_MECHANISM: expected plain, scram-sha-256 or scram-sha-512, got "kerberos"'],
    [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'oms' }, 'KAFKA_SASL_PASSWORD: required when KAFKA_SASL_MECHANISM is set'],
    [{ TEMPORAL_TLS_CLIENT_CERT_PATH: '/certs/client.pem' }, 'TEMPORAL_TLS_CLIENT_KEY_PATH: required with the other half of the client certificate'],
    [{ TEMPORAL_SDK_LOG_LEVEL: 'loud' }, 'TEMPORAL_SDK_LOG_LEVEL: expected one of TRACE, DEBUG, INFO, WARN, ERROR, got "loud"'],
    [{ LOG_LEVEL: 'chatty' }, 'LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, silent, got "chatty"'],
    [{ LOG_PRETTY: 'yes please' }, 'LOG_PRETTY: expected true or false, got "yes please"'],
    [{ STOREFRONT_LIMITER_REDIS_URL: 'localhost' }, 'STOREFRONT_LIMITER_REDIS_URL: expected a redis:// URL, got "localhost"'],
    [{ GATEWAY_SHOPIFY_ORDER_ID: 'email' }, 'GATEWAY_SHOPIFY_ORDER_ID: expected id, name, order_number or note:<attribute name>, got "email"'],
    [{ GATEWAY_KAFKA_TIMEOUT_MS: '500' }, 'GATEWAY_KAFKA_TIMEOUT_MS: expected a whole number >= 1000, got "500"'],
    [{ WORKER_LOCAL_ACTIVITIES: 'local' }, 'WORKER_LOCAL_ACTIVITIES: expected true or false, got "local"'],
    [{ OTEL_TRACES_EXPORTER: 'jaeger' }, 'OTEL_TRACES_EXPORTER: expected otlp, zipkin or none, got "jaeger"'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' }, 'OTEL_EXPORTER_OTLP_ENDPOINT: expected an http(s) URL, got "collector:4317"'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'http' }, 'OTEL_EXPORTER_OTLP_PROTOCOL: expected grpc, http/protobuf or http/json, got "http"'],
    [{ OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'zipkin' }, 'OTEL_EXPORTER_ZIPKIN_ENDPOINT: expected an http(s) URL, got "zipkin"'],
    [{ OTEL_RESOURCE_ATTRIBUTES: 'team' }, 'OTEL_RESOURCE_ATTRIBUTES: expected comma-separated key=value pairs, got "team"'],
    [
      { OTEL_TRACES_SAMPLER: 'sometimes' },
      'OTEL_TRACES_SAMPLER: expected always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio, got "sometimes"',
    ],
    [{ OTEL_TRACES_SAMPLER_ARG: '10%' }, 'OTEL_TRACES_SAMPLER_ARG: expected a number from 0 to 1, got "10%"'],
    [{ OTEL_TRACES_SAMPLER_ARG: '1.5' }, 'OTEL_TRACES_SAMPLER_ARG: expected a number from 0 to 1, got "1.5"'],
    [{ OTEL_BSP_SCHEDULE_DELAY: 'soon' }, 'OTEL_BSP_SCHEDULE_DELAY: expected a whole number, got "soon"'],
    [{ OTEL_BSP_MAX_QUEUE_SIZE: '0' }, 'OTEL_BSP_MAX_QUEUE_SIZE: expected a whole number >= 1, got "0"'],
    [{ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '4096' }, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE: expected at most OTEL_BSP_MAX_QUEUE_SIZE (2048), got 4096'],
  ])('%j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError(`invalid configuration: ${message}`));
  });

  // The CLI prints that message as its one line and exits 1, before anything starts: two processes, not one per case.
  test.each([
    [{ KAFKA_BROKERS: 'kafka' }, 'KAFKA_BROKERS: expected comma-separated host:port pairs, got "kafka"'],
    [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'oms' }, 'KAFKA_SASL_PASSWORD: required when KAFKA_SASL_MECHANISM is set'],
  ])('oms config with %j', async (env, message) => {
    const result = await runOms(['config'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`oms: invalid configuration: ${message}\n`);
  });

  test('a role names every variable it needs and lacks, before it starts anything', async () => {
    const result = await runOms(['worker'], { KAFKA_BROKERS: '127.0.0.1:1', SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'oms: invalid configuration: TEMPORAL_ADDRESS: required, but not set; STOREFRONT_BASE_URL: required, but not set; PAYMENT_PROVIDER_BASE_URL: required, but not set; NOTIFICATION_BASE_URL: required, but not set; RISK_BASE_URL: required, but not set\n',
    );
    const storefrontOnly = await runOms(['worker', '--queues', 'storefront'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(storefrontOnly.stderr).toBe('oms: invalid configuration: STOREFRONT_BASE_URL: required, but not set\n');
    const ingest = await runOms(['ingest'], {});
    expect(ingest.stderr).toBe('oms: invalid configuration: KAFKA_BROKERS: required, but not set; TEMPORAL_ADDRESS: required, but not set\n');
  });
});

describe('oms config and .env files', () => {
  test('prints the effective configuration with secrets masked, .env below the environment', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'oms-env-'));
    await writeFile(path.join(dir, '.env'), 'INGEST_MAX_IN_FLIGHT=7\nTOPIC_ORDER_EVENTS=from-dotenv\nKAFKA_SASL_PASSWORD=hunter2\n');
    const result = await runOms(['config'], {
      OMS_ENV_FILE: path.join(dir, '.env'),
      TOPIC_ORDER_EVENTS: 'from-environment',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'oms',
      SCHEMA_REGISTRY_PASSWORD: 's3cret',
      REDIS_URL: 'redis://:redispw@127.0.0.1:6379',
    });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toContain('INGEST_MAX_IN_FLIGHT=7');
    expect(lines).toContain('TOPIC_ORDER_EVENTS=from-environment');
    expect(lines).toContain('KAFKA_SASL_PASSWORD=***');
    expect(lines).toContain('SCHEMA_REGISTRY_PASSWORD=***');
    expect(lines).toContain('REDIS_URL=redis://:***@127.0.0.1:6379');
    expect(lines).toContain('STOREFRONT_RPS=150  # default');
    expect(result.stdout).not.toMatch(/hunter2|s3cret|redispw/);
  });

  test('.env.example lists every variable with a comment, as generated', async () => {
    const committed = await readFile(path.resolve(import.meta.dirname, '../../../.env.example'), 'utf8');
    expect(committed).toBe(envExample());
    const variables = committed.split('\n').filter((line) => /^# [A-Z_]+=/.test(line));
    expect(variables.length).toBeGreaterThan(40);
    for (const line of variables) {
      const comment = committed.split('\n')[committed.split('\n').indexOf(line) - 1];
      expect(comment, line).toMatch(/^# \S/);
    }
  });
});

test('the gateway reads how provider payloads name the order: the defaults, and a Shopify note attribute', () => {
  expect(loadConfig({}).gateway.providers).toEqual({ stripeOrderIdKey: 'orderId', shopifyOrderId: { field: 'id' } });
  expect(loadConfig({ GATEWAY_STRIPE_ORDER_ID_KEY: 'oms_order', GATEWAY_SHOPIFY_ORDER_ID: 'note:oms-order' }).gateway.providers).toEqual({ stripeOrderIdKey: 'oms_order', shopifyOrderId: { noteAttribute: 'oms-order' } });
  expect(loadConfig({ GATEWAY_SHOPIFY_ORDER_ID: 'name' }).gateway.providers.shopifyOrderId).toEqual({ field: 'name' });
});

test('tracing: off without an endpoint; the standard OTEL_* variables, resource attributes percent-decoded', () => {
  const defaults = loadConfig({}).tracing;
  expect(defaults).toMatchObject({ exporter: 'otlp', otlp: { endpoint: undefined, protocol: 'http/protobuf' }, serviceName: 'oms', sampler: { name: 'parentbased_always_on', ratio: 1 } });
  expect(defaults.batch).toEqual({ scheduledDelayMillis: 5_000, exportTimeoutMillis: 30_000, maxQueueSize: 2_048, maxExportBatchSize: 512 });
  const set = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod, team=orders%20and%20more', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).tracing;
  expect(set).toMatchObject({ otlp: { endpoint: 'http://collector:4317', protocol: 'grpc' }, sampler: { name: 'parentbased_traceidratio', ratio: 0.25 } });
  expect(set.resourceAttributes).toEqual({ 'deployment.environment.name': 'prod', team: 'orders and more' });
});

test('local activities are on unless configured off; the flags that default to false still do', () => {
  expect(loadConfig({}).localActivities).toBe(true);
  expect(loadConfig({ WORKER_LOCAL_ACTIVITIES: 'false' }).localActivities).toBe(false);
  expect(loadConfig({ WORKER_LOCAL_ACTIVITIES: '0' }).localActivities).toBe(false);
  expect(loadConfig({}).kafka.ssl).toBe(false);
});
