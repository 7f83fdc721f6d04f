import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createCertificateAuthority, type CertifiedKey } from '../../../src/dev/secure/certificates.ts';
import { startTlsTerminator, type TlsTerminator } from '../../../src/dev/secure/tls-terminator.ts';
import { runOms } from '../../support/cli.ts';
import { startRole, untilPollingOrders, untilReady } from '../../support/roles.ts';
import { startTestService, type TestService } from '../../support/service.ts';

/**
 * Temporal over mTLS, as Temporal Cloud and most production clusters run it: the stack's dev server
 * behind a TLS terminator (HTTP/2, ALPN h2) that demands a client certificate from the run's CA.
 * Roles connect with Temporal's standard variables, with a TOML profile, and with the old names; a
 * missing client certificate and an untrusted server certificate each stop a role with one line.
 */
let service: TestService;
let terminator: TlsTerminator;
let dir: string;
let address: string;
const files: Record<string, string> = {};
let client: CertifiedKey;

beforeAll(async () => {
  service = await startTestService({ ingest: false, workerGroups: [] });
  dir = await mkdtemp(path.join(tmpdir(), 'oms-mtls-'));
  const ca = createCertificateAuthority();
  const server = ca.issue('localhost', { hosts: ['localhost', '127.0.0.1'] });
  client = ca.issue('oms-worker', { client: true });
  const stranger = createCertificateAuthority('another CA').issue('oms-worker', { client: true });
  const write = async (name: string, text: string) => {
    files[name] = path.join(dir, name);
    await writeFile(files[name], text);
  };
  await Promise.all([write('ca.pem', ca.cert), write('client.pem', client.cert), write('client.key', client.key), write('stranger.pem', stranger.cert), write('stranger.key', stranger.key)]);
  terminator = await startTlsTerminator({ upstream: service.config.temporal.address!, host: '127.0.0.1', port: 0, cert: server.cert, key: server.key, clientCa: ca.cert });
  address = `127.0.0.1:${terminator.port}`;
});
afterAll(async () => {
  await terminator?.close();
  await service?.stop();
});

const standard = () => ({
  TEMPORAL_ADDRESS: address,
  TEMPORAL_TLS_CLIENT_CERT_PATH: files['client.pem']!,
  TEMPORAL_TLS_CLIENT_KEY_PATH: files['client.key']!,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: files['ca.pem']!,
});

/** A workflow worker started on `env` over the service's, ready and polling its queue through the terminator; its output. */
async function readyWorker(env: Record<string, string>): Promise<string> {
  const worker = startRole(['worker', '--queues', 'workflows'], { ...service.env, ...env });
  try {
    await untilReady(worker, 90_000);
    await untilPollingOrders(service, worker);
    return worker.output();
  } finally {
    await worker.kill('SIGTERM');
  }
}

const keyBody = () => client.key.split('\n').filter((line) => !line.startsWith('-----')).join('').slice(0, 64);

test("with Temporal's standard variables, a worker connects over mTLS and polls; nothing of the key reaches its output", { timeout: 150_000 }, async () => {
  const output = await readyWorker(standard());
  expect(output).not.toMatch(/deprecated/);
  expect(output).not.toContain(keyBody());
});

test('with a TOML profile (its tls table: client certificate, key, server CA), a worker connects over mTLS', { timeout: 150_000 }, async () => {
  const file = path.join(dir, 'temporal.toml');
  await writeFile(
    file,
    [
      '[profile.secured]',
      `address = "${address}"`,
      `namespace = "${service.config.temporal.namespace}"`,
      '[profile.secured.tls]',
      `client_cert_path = "${files['client.pem']}"`,
      `client_key_path = "${files['client.key']}"`,
      `server_ca_cert_path = "${files['ca.pem']}"`,
      '',
    ].join('\n'),
  );
  await readyWorker({ TEMPORAL_ADDRESS: '', TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'secured' });
});

test('the old names still connect, each with one warning naming the standard one', { timeout: 150_000 }, async () => {
  const output = await readyWorker({ LOG_LEVEL: 'warn', TEMPORAL_ADDRESS: address, TEMPORAL_TLS_CERT_PATH: files['client.pem']!, TEMPORAL_TLS_KEY_PATH: files['client.key']!, TEMPORAL_TLS_SERVER_CA_CERT_PATH: files['ca.pem']! });
  expect(output.match(/TEMPORAL_TLS_CERT_PATH is deprecated: use TEMPORAL_TLS_CLIENT_CERT_PATH/g)).toHaveLength(1);
  expect(output.match(/TEMPORAL_TLS_KEY_PATH is deprecated: use TEMPORAL_TLS_CLIENT_KEY_PATH/g)).toHaveLength(1);
});

test('a missing client certificate, one from another CA, and an untrusted server certificate each stop a role at start with one line saying so', { timeout: 150_000 }, async () => {
  // Empty counts as unset.
  const noClientCert = { ...standard(), TEMPORAL_TLS_CLIENT_CERT_PATH: '', TEMPORAL_TLS_CLIENT_KEY_PATH: '' };
  const cases: [string[], Record<string, string>, RegExp][] = [
    // The worker (the SDK's Rust core) and ingest (grpc-js): both report it the same way.
    [['worker', '--queues', 'workflows'], { ...noClientCert, TEMPORAL_TLS: 'true' }, /^oms: TEMPORAL: 127\.0\.0\.1:\d+ requires a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH$/],
    [['ingest'], { ...noClientCert, TEMPORAL_TLS: 'true' }, /^oms: TEMPORAL: 127\.0\.0\.1:\d+ requires a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH$/],
    [['worker', '--queues', 'workflows'], { ...standard(), TEMPORAL_TLS_CLIENT_CERT_PATH: files['stranger.pem']!, TEMPORAL_TLS_CLIENT_KEY_PATH: files['stranger.key']! }, /^oms: TEMPORAL: 127\.0\.0\.1:\d+ refused the client certificate \([^)]+\): it must be signed by a CA the server trusts$/],
    [['worker', '--queues', 'workflows'], { ...standard(), TEMPORAL_TLS_SERVER_CA_CERT_PATH: '' }, /^oms: TEMPORAL: the server certificate of 127\.0\.0\.1:\d+ is not trusted \(\S+\): set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it$/],
  ];
  for (const [args, env, line] of cases) {
    const result = await runOms(args, { ...service.env, ...env }, 60_000);
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(1);
    const lines = result.stderr.trim().split('\n').filter((text) => text.startsWith('oms: '));
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(result.stdout + result.stderr).not.toContain(keyBody());
  }
});
