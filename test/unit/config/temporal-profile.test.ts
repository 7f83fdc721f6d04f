import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/config.ts';
import { connectionSecurity, temporalSettings } from '../../../src/temporal/factory.ts';

/**
 * Temporal's standard client configuration, read as its SDKs and CLI read it: the TEMPORAL_* variables
 * over a profile of the TOML file (the SDK's own loader), with the project's old names as aliases.
 */
let dir: string;
let file: string;
const off = { TEMPORAL_ENCRYPTION: 'off' };

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'oms-temporal-profile-'));
  file = path.join(dir, 'temporal.toml');
  await writeFile(path.join(dir, 'ca.pem'), 'ca-bytes');
  await writeFile(path.join(dir, 'client.pem'), 'cert-bytes');
  await writeFile(path.join(dir, 'client.key'), 'key-bytes');
  await writeFile(
    file,
    [
      '[profile.default]',
      'address = "temporal.internal:7233"',
      'namespace = "orders"',
      '',
      '[profile.prod]',
      'address = "orders.abc12.tmprl.cloud:7233"',
      'namespace = "orders.abc12"',
      '[profile.prod.tls]',
      `client_cert_path = "${path.join(dir, 'client.pem')}"`,
      `client_key_path = "${path.join(dir, 'client.key')}"`,
      `server_ca_cert_path = "${path.join(dir, 'ca.pem')}"`,
      'server_name = "temporal.example"',
      '',
    ].join('\n'),
  );
});

test('a TOML profile gives the address, namespace and TLS, mTLS included; without TEMPORAL_PROFILE the default profile', () => {
  const prod = loadConfig({ ...off, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
  expect(prod.temporal).toMatchObject({ address: 'orders.abc12.tmprl.cloud:7233', namespace: 'orders.abc12', tls: true, serverName: 'temporal.example' });
  const security = connectionSecurity(temporalSettings(prod));
  expect(security.tls).toEqual({
    clientCertPair: { crt: Buffer.from('cert-bytes'), key: Buffer.from('key-bytes') },
    serverRootCACertificate: Buffer.from('ca-bytes'),
    serverNameOverride: 'temporal.example',
  });
  expect(loadConfig({ ...off, TEMPORAL_CONFIG_FILE: file }).temporal).toMatchObject({ address: 'temporal.internal:7233', namespace: 'orders', tls: false });
  expect(prod.warnings).toEqual([]);
});

test("the default file is ~/.config/temporalio/temporal.toml, read when there is one; the TEMPORAL_* variables win over any profile", async () => {
  const home = await mkdtemp(path.join(tmpdir(), 'oms-home-'));
  await mkdir(path.join(home, '.config', 'temporalio'), { recursive: true });
  await writeFile(path.join(home, '.config', 'temporalio', 'temporal.toml'), '[profile.default]\naddress = "from-home:7233"\nnamespace = "home"\n');
  expect(loadConfig({ ...off, HOME: home }).temporal).toMatchObject({ address: 'from-home:7233', namespace: 'home' });
  const overridden = loadConfig({ ...off, HOME: home, TEMPORAL_ADDRESS: '127.0.0.1:7233', TEMPORAL_NAMESPACE: 'mine', TEMPORAL_TLS: 'true', TEMPORAL_TLS_SERVER_NAME: 'other' });
  expect(overridden.temporal).toMatchObject({ address: '127.0.0.1:7233', namespace: 'mine', tls: true, serverName: 'other' });
  // No file, no variables: the SDK's defaults.
  expect(loadConfig({ ...off, HOME: dir }).temporal).toMatchObject({ namespace: 'default', tls: false });
  expect(loadConfig({ ...off, HOME: dir }).temporal.address).toBeUndefined();
});

test('the standard variables alone give mTLS with a server CA and name; an API key implies TLS', () => {
  const config = loadConfig({
    ...off,
    TEMPORAL_ADDRESS: 'temporal:7233',
    TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'client.pem'),
    TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'client.key'),
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'ca.pem'),
    TEMPORAL_TLS_SERVER_NAME: 'temporal.example',
  });
  expect(connectionSecurity(temporalSettings(config)).tls).toMatchObject({ serverNameOverride: 'temporal.example', serverRootCACertificate: Buffer.from('ca-bytes') });
  expect(connectionSecurity(temporalSettings(loadConfig({ ...off, TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_API_KEY: 'key' })))).toEqual({ tls: true, apiKey: 'key' });
  // Said off, TLS stays off whatever the profile says.
  expect(loadConfig({ ...off, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod', TEMPORAL_TLS: 'false' }).temporal.tls).toBe(false);
});

test('the old names still work, each with one warning naming the standard one', () => {
  const config = loadConfig({ ...off, TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_TLS_CERT_PATH: path.join(dir, 'client.pem'), TEMPORAL_TLS_KEY_PATH: path.join(dir, 'client.key') });
  expect(connectionSecurity(temporalSettings(config)).tls).toEqual({ clientCertPair: { crt: Buffer.from('cert-bytes'), key: Buffer.from('key-bytes') } });
  expect(config.warnings).toEqual([
    "TEMPORAL_TLS_CERT_PATH is deprecated: use TEMPORAL_TLS_CLIENT_CERT_PATH, Temporal's standard name (the SDKs and the CLI read it too)",
    "TEMPORAL_TLS_KEY_PATH is deprecated: use TEMPORAL_TLS_CLIENT_KEY_PATH, Temporal's standard name (the SDKs and the CLI read it too)",
  ]);
});

test('a missing config file, an unknown profile and a broken file are one line naming the variable', async () => {
  const broken = path.join(dir, 'broken.toml');
  await writeFile(broken, '[profile.default\naddress = 1');
  const message = (env: Record<string, string>) => {
    try {
      loadConfig({ ...off, ...env });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('no error');
  };
  expect(message({ TEMPORAL_CONFIG_FILE: path.join(dir, 'nope.toml') })).toBe(`invalid configuration: TEMPORAL_CONFIG_FILE: no such file, got "${path.join(dir, 'nope.toml')}"`);
  expect(message({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' })).toBe(`invalid configuration: TEMPORAL_PROFILE: no such profile in ${file}, got "staging"`);
  const parse = message({ TEMPORAL_CONFIG_FILE: broken });
  expect(parse).toMatch(/^invalid configuration: TEMPORAL_CONFIG_FILE: .+, got ".*broken\.toml"$/);
  expect(parse.split('\n')).toHaveLength(1);
});
