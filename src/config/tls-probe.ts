import { isIP } from 'node:net';
import tls from 'node:tls';

/** Handshake errors that mean the peer's certificate is not signed by a CA we trust (or not valid now): no retry fixes them. */
export const UNTRUSTED_CERTIFICATE = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
]);

/** The host of a `host:port` address. */
export const hostOf = (address: string) => address.slice(0, address.lastIndexOf(':'));

/**
 * One TLS handshake of our own with `address` (host:port), for a client whose library retries or
 * hides why its handshake failed. Resolves to the error code the handshake ended with; to `closed`
 * when the server hung up within `settleMs` after it (how TLS 1.3 refuses a client certificate); or
 * to undefined when it succeeded, or nothing answered in 5 s (left to the client's own retries).
 */
export function tlsHandshakeFailure(address: string, options: tls.ConnectionOptions, settleMs = 0): Promise<string | undefined> {
  const host = hostOf(address);
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port: Number(address.slice(host.length + 1)), servername: isIP(host) ? undefined : host, ...options });
    const done = (why: string | undefined) => {
      socket.destroy();
      resolve(why);
    };
    let secured = false;
    socket.setTimeout(5_000, () => done(undefined));
    socket.on('error', (failure: NodeJS.ErrnoException) => done(failure.code ?? ''));
    socket.on('secureConnect', () => {
      secured = true;
      setTimeout(() => done(undefined), settleMs);
    });
    socket.on('close', () => done(secured ? 'closed' : undefined));
  });
}
