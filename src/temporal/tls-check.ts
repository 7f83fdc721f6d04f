import { isIP } from 'node:net';
import tls from 'node:tls';
import type { TemporalSettings } from './factory.ts';
import { bytesOf } from './tls-material.ts';

const UNTRUSTED = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE']);

/**
 * The SDKs report a refused TLS handshake as "transport error" or a connect deadline. When a TLS
 * connection to Temporal fails, one handshake of our own, with the same material, says why in one
 * line; anything else (a refused connection, a timeout) keeps the SDK's error.
 */
export async function explainConnectFailure(settings: TemporalSettings, error: unknown): Promise<unknown> {
  if (!settings.tls) return error;
  const why = await handshake(settings).catch(() => undefined);
  return why ? new Error(`TEMPORAL: ${why}`, { cause: error }) : error;
}

function handshake(settings: TemporalSettings): Promise<string | undefined> {
  const at = settings.address.lastIndexOf(':');
  const host = settings.address.slice(0, at);
  const name = settings.serverName ?? (isIP(host) ? undefined : host);
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port: Number(settings.address.slice(at + 1)),
      ...(name ? { servername: name } : {}),
      ...(settings.serverName ? { checkServerIdentity: (_host, cert) => tls.checkServerIdentity(settings.serverName!, cert) } : {}),
      ...(settings.serverCaCert ? { ca: bytesOf(settings.serverCaCert) } : {}),
      ...(settings.clientCert && settings.clientKey ? { cert: bytesOf(settings.clientCert), key: bytesOf(settings.clientKey) } : {}),
      ALPNProtocols: ['h2'],
    });
    const done = (why: string | undefined) => {
      socket.destroy();
      resolve(why);
    };
    socket.setTimeout(5_000, () => done(undefined));
    socket.on('error', (failure: Error & { code?: string }) => {
      const code = failure.code ?? '';
      if (UNTRUSTED.has(code)) return done(`the server certificate of ${settings.address} is not trusted (${code}): set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it`);
      if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return done(`the server certificate of ${settings.address} is not for ${name ?? host}: set TEMPORAL_TLS_SERVER_NAME to a name it holds`);
      if (/CERTIFICATE_REQUIRED/.test(code)) return done(`${settings.address} requires a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH`);
      if (/ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|DECRYPT_ERROR)/.test(code)) return done(`${settings.address} refused the client certificate (${code}): it must be signed by a CA the server trusts`);
      return done(undefined);
    });
    // With TLS 1.3 the server judges the client's certificate after the handshake: give its verdict a
    // moment. A server that closes at once, with no alert, refused the certificate (or its absence).
    let secured = false;
    socket.on('secureConnect', () => {
      secured = true;
      setTimeout(() => done(undefined), 1_000);
    });
    socket.on('close', () => {
      if (!secured) return done(undefined);
      done(
        settings.clientCert
          ? `${settings.address} refused the client certificate (closed after the handshake): it must be signed by a CA the server trusts`
          : `${settings.address} requires a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH`,
      );
    });
  });
}
