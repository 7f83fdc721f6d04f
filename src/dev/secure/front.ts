// The secured stack's front process (`oms dev up --secure` runs it, by pid like every service): the
// TLS terminator that puts mTLS in front of Temporal's dev server, and the basic-auth proxy in front
// of the registry. Run as `node src/dev/secure/front.ts <settings.json>`.
import { readFileSync } from 'node:fs';
import { startRegistryAuthProxy } from './registry-auth-proxy.ts';
import { startTlsTerminator } from './tls-terminator.ts';

export interface FrontSettings {
  temporal: { upstream: string; port: number; cert: string; key: string; clientCa: string };
  registry: { upstream: string; port: number; users: Record<string, string> };
}

const settings = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as FrontSettings;
const read = (file: string) => readFileSync(file, 'utf8');
const terminator = await startTlsTerminator({ ...settings.temporal, host: '127.0.0.1', cert: read(settings.temporal.cert), key: read(settings.temporal.key), clientCa: read(settings.temporal.clientCa) });
const proxy = await startRegistryAuthProxy({ ...settings.registry, host: '127.0.0.1' });
console.log(`temporal mTLS on 127.0.0.1:${terminator.port}, registry basic auth on ${proxy.url}`);
const stop = async () => {
  await Promise.all([terminator.close(), proxy.close()]);
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
