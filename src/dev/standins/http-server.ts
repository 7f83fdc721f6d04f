import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandinRequest {
  method: string;
  path: string[];
  query: URLSearchParams;
  body: unknown;
  /** `performance.now()` when the request arrived, before its body was read: what a rate limit counts. */
  arrivedAt: number;
}

export type StandinReply = { status: number; body?: unknown; headers?: Record<string, string> };
export type StandinHandler = (request: StandinRequest) => StandinReply | Promise<StandinReply>;

export interface RunningStandin {
  url: string;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function send(response: ServerResponse, reply: StandinReply): void {
  const headers = { ...(reply.body === undefined ? {} : { 'content-type': 'application/json' }), ...reply.headers };
  response.writeHead(reply.status, headers).end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
}

/** A JSON-over-HTTP server for the stand-ins, on 127.0.0.1 unless told otherwise (port 0 picks a free one). */
export async function serveJson(port: number, handle: StandinHandler, host = '127.0.0.1'): Promise<RunningStandin> {
  const server = createServer((request, response) => {
    const arrivedAt = performance.now();
    const url = new URL(request.url ?? '/', 'http://standin');
    readBody(request)
      .then((body) => handle({ method: request.method ?? 'GET', path: url.pathname.split('/').filter(Boolean).map(decodeURIComponent), query: url.searchParams, body, arrivedAt }))
      .then(
        (reply) => send(response, reply),
        (error: Error) => send(response, { status: 500, body: { error: error.message } }),
      );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
