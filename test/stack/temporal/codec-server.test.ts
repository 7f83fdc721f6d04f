import { execFile } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { orderEvent, toRecord } from '../../../src/dev/standins/events.ts';
import { cachePaths } from '../../../src/dev/native/paths.ts';
import { loadToolchain, toolBinary } from '../../../src/dev/native/toolchain.ts';
import { ENCRYPTED_ENCODING } from '../../../src/temporal/encryption-codec.ts';
import { runOms, spawnOms } from '../../support/cli.ts';
import { randomPort } from '../../support/names.ts';
import { startTestService, type TestService } from '../../support/service.ts';

/** `oms codec-server` as operators run it: a process of its own, on the stack's key ring. */
const TOKEN = 'test-token-0123456789abcdef';
const UI_ORIGIN = 'http://127.0.0.1:8233';
let service: TestService;
let server: ReturnType<typeof spawnOms>;
let base: string;
beforeAll(async () => {
  service = await startTestService();
  const port = randomPort();
  base = `http://127.0.0.1:${port}`;
  server = spawnOms(['codec-server'], { ...service.env, CODEC_SERVER_PORT: port, HTTP_PORT: randomPort(), CODEC_SERVER_TOKENS: `other-token-fedcba9876543210,${TOKEN}`, CODEC_SERVER_UI_ORIGINS: UI_ORIGIN });
  await vi.waitFor(async () => expect((await fetch(`${base}/healthz`)).status).toBe(200), { timeout: 30_000, interval: 100 });
});
afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
  await service?.stop();
});

const post = (route: string, body: object, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
  fetch(`${base}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const jsonPayload = (value: unknown) => ({ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from(JSON.stringify(value)).toString('base64') });
type Payloads = { payloads: { metadata: Record<string, string>; data: string }[] };

test('POST /encode then /decode round-trips payloads; /encode marks them encrypted under the active key', async () => {
  const original = { payloads: [jsonPayload({ orderId: 'ORD-1', email: 'jane@example.com' }), jsonPayload(42)] };
  const encoded = (await (await post('/encode', original)).json()) as Payloads;
  expect(encoded.payloads).toHaveLength(2);
  for (const payload of encoded.payloads) {
    expect(Buffer.from(payload.metadata.encoding!, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(payload.data, 'base64').toString('latin1')).not.toContain('jane');
  }
  const decoded = (await (await post('/decode', encoded)).json()) as Payloads;
  expect(decoded).toEqual(original);
});

test('it refuses a request without a token, with a wrong one, or with a bad body; a token in the path is accepted', async () => {
  const body = { payloads: [jsonPayload('x')] };
  expect((await post('/decode', body, {})).status).toBe(401);
  expect((await post('/decode', body, { authorization: 'Bearer not-the-token-at-all' })).status).toBe(401);
  expect((await post('/t/not-the-token-at-all/decode', body, {})).status).toBe(401);
  expect((await post('/t/' + TOKEN + '/encode', body, {})).status).toBe(200);
  expect((await post('/decode', { something: 'else' })).status).toBe(400);
});

test('it decodes what the workers wrote: an order workflow input shows its order id; and `temporal workflow show --codec-endpoint` shows it too', async () => {
  const orderId = service.orderId('codec');
  await service.produce(service.config.topics.orderEvents, [toRecord(orderEvent('order.created', orderId))]);
  await vi.waitFor(async () => expect((await service.orderStatus(orderId)).stage).toBe('awaiting-payment'), { timeout: 60_000, interval: 250 });
  const history = await service.temporal.workflow.getHandle(`order-${orderId}`).fetchHistory();
  const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
  const asJson = { payloads: input.map((payload) => ({ metadata: Object.fromEntries(Object.entries(payload.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(payload.data!).toString('base64') })) };
  expect(Buffer.from(asJson.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
  const decoded = (await (await post('/decode', asJson)).json()) as Payloads;
  expect(Buffer.from(decoded.payloads[0]!.data, 'base64').toString()).toContain(orderId);

  // The Temporal CLI the local stack runs (pinned in the toolchain).
  const temporal = toolBinary(cachePaths(), (await loadToolchain()).find((artifact) => artifact.name === 'temporal')!)!;
  const shown = await promisify(execFile)(temporal, [
    'workflow', 'show', '--workflow-id', `order-${orderId}`, '--address', service.config.temporal.address!, '--codec-endpoint', base, '--codec-auth', `Bearer ${TOKEN}`, '--output', 'json',
  ]);
  expect(shown.stdout).toContain(orderId);
  expect(shown.stdout).not.toContain(ENCRYPTED_ENCODING);
});

test('CORS: the preflight from the configured UI origin passes, from any other origin it does not', async () => {
  const preflight = (origin: string) =>
    fetch(`${base}/decode`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization,x-namespace' } });
  const allowed = await preflight(UI_ORIGIN);
  expect(allowed.status).toBe(204);
  expect(allowed.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
  expect(allowed.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
  const other = await preflight('https://evil.example.com');
  expect(other.headers.get('access-control-allow-origin')).toBeNull();
});

test('by default it listens on loopback only: the machine\'s other address is refused', async () => {
  const address = Object.values(networkInterfaces()).flat().find((entry) => entry && entry.family === 'IPv4' && !entry.internal)?.address;
  expect(address, 'this test needs a non-loopback IPv4 address on the machine').toBeDefined();
  const port = new URL(base).port;
  await expect(fetch(`http://${address}:${port}/healthz`, { signal: AbortSignal.timeout(3_000) })).rejects.toThrow();
});

test('oms codec-server without tokens stops at start with one line naming the variable', async () => {
  const result = await runOms(['codec-server'], { ...service.env, CODEC_SERVER_TOKENS: '', CODEC_SERVER_UI_ORIGINS: UI_ORIGIN });
  expect(result.code).toBe(1);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr.trim()).toMatch(/^oms: invalid configuration: CODEC_SERVER_TOKENS: required, but not set$/);
});
