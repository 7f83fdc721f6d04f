import http2, { type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';

export interface TlsTerminator {
  port: number;
  close(): Promise<void>;
}

const { HTTP2_HEADER_AUTHORITY, HTTP2_HEADER_SCHEME, HTTP2_HEADER_STATUS, NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR } = http2.constants;
/** Per-hop headers HTTP/2 forbids forwarding as they are. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);
const forwardable = (headers: IncomingHttpHeaders, drop: string[] = []): OutgoingHttpHeaders =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name) && !drop.includes(name)));

/**
 * Temporal's dev server speaks only plain gRPC, so the secured local stack puts this in front of it:
 * HTTP/2 over TLS (ALPN h2), demanding a client certificate signed by `clientCa`, each stream passed
 * to the dev server unchanged (headers, messages, and the trailers gRPC puts its status in).
 */
export async function startTlsTerminator(options: { upstream: string; host: string; port: number; cert: string; key: string; clientCa: string }): Promise<TlsTerminator> {
  let session: ClientHttp2Session | undefined;
  const upstream = () => {
    if (!session || session.closed || session.destroyed) {
      session = http2.connect(`http://${options.upstream}`);
      session.on('error', () => undefined);
    }
    return session;
  };

  const server = http2.createSecureServer({
    cert: options.cert,
    key: options.key,
    ca: options.clientCa,
    requestCert: true,
    rejectUnauthorized: true,
    ALPNProtocols: ['h2'],
    allowHTTP1: false,
  });
  server.on('stream', (stream, headers) => {
    const request = upstream().request({ ...forwardable(headers, [HTTP2_HEADER_AUTHORITY, HTTP2_HEADER_SCHEME]), [HTTP2_HEADER_AUTHORITY]: options.upstream, [HTTP2_HEADER_SCHEME]: 'http' });
    let trailers: OutgoingHttpHeaders = {};
    request.on('response', (response) => {
      if (stream.destroyed) return;
      // A trailers-only answer (a gRPC error) carries its status in these headers and ends here.
      const only = response['grpc-status'] !== undefined;
      stream.respond(forwardable(response), only ? { endStream: true } : { waitForTrailers: true });
      if (!only) request.pipe(stream);
    });
    request.on('trailers', (received: IncomingHttpHeaders) => (trailers = forwardable(received, [HTTP2_HEADER_STATUS])));
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.pipe(request);
    stream.on('close', () => {
      if (!request.closed) request.close(NGHTTP2_CANCEL);
    });
    request.on('error', () => {
      if (!stream.closed) stream.close(NGHTTP2_INTERNAL_ERROR);
    });
    stream.on('error', () => undefined);
  });
  // Long polls hold sessions open for a minute: closing ends them rather than waiting.
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (opened) => {
    sessions.add(opened);
    opened.on('close', () => sessions.delete(opened));
  });
  // A handshake refused (no client certificate, or one from another CA) is the client's to report.
  server.on('tlsClientError', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      session?.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const opened of sessions) opened.destroy();
      await closed;
    },
  };
}
