import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import basicAuth from '@fastify/basic-auth';
import httpProxy from '@fastify/http-proxy';
import Fastify from 'fastify';

export interface RegistryAuthProxy {
  url: string;
  close(): Promise<void>;
}

const same = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/**
 * Apicurio Registry authenticates only through OpenID Connect, so the secured local stack puts its
 * registry behind this proxy, which demands HTTP basic auth, as Confluent Cloud's registry does, and
 * passes what it admits on unchanged.
 */
export async function startRegistryAuthProxy(options: { upstream: string; host: string; port: number; users: Record<string, string> }): Promise<RegistryAuthProxy> {
  const app = Fastify({ logger: false });
  await app.register(basicAuth, {
    authenticate: { realm: 'oms schema registry' },
    validate: async (username, password) => {
      const expected = options.users[username];
      if (expected === undefined || !same(password, expected)) throw new Error('Unauthorized');
    },
  });
  app.addHook('onRequest', app.basicAuth);
  await app.register(httpProxy, { upstream: options.upstream });
  await app.listen({ host: options.host, port: options.port });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://${options.host}:${port}`, close: () => app.close() };
}
