import { isIP } from 'node:net';
import tls from 'node:tls';
import { hostOf, tlsHandshakeFailure, UNTRUSTED_CERTIFICATE } from '../config/tls-probe.ts';
import type { TemporalSettings } from './factory.ts';
import { bytesOf } from './tls-material.ts';

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

async function handshake(settings: TemporalSettings): Promise<string | undefined> {
  const host = hostOf(settings.address);
  const name = settings.serverName ?? (isIP(host) ? undefined : host);
  // With TLS 1.3 the server judges the client's certificate after the handshake: give its verdict a moment.
  const code = await tlsHandshakeFailure(
    settings.address,
    {
      ...(settings.serverName ? { servername: settings.serverName, checkServerIdentity: (_host, cert) => tls.checkServerIdentity(settings.serverName!, cert) } : {}),
      ...(settings.serverCaCert ? { ca: bytesOf(settings.serverCaCert) } : {}),
      ...(settings.clientCert && settings.clientKey ? { cert: bytesOf(settings.clientCert), key: bytesOf(settings.clientKey) } : {}),
      ALPNProtocols: ['h2'],
    },
    1_000,
  );
  if (code === undefined) return undefined;
  if (UNTRUSTED_CERTIFICATE.has(code)) return `the server certificate of ${settings.address} is not trusted (${code}): set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `the server certificate of ${settings.address} is not for ${name ?? host}: set TEMPORAL_TLS_SERVER_NAME to a name it holds`;
  const required = `${settings.address} requires a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH`;
  const refused = (why: string) => `${settings.address} refused the client certificate (${why}): it must be signed by a CA the server trusts`;
  if (/CERTIFICATE_REQUIRED/.test(code)) return required;
  if (/ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|DECRYPT_ERROR)/.test(code)) return refused(code);
  // A server that closes at once after the handshake, with no alert, refused the certificate (or its absence).
  if (code === 'closed') return settings.clientCert ? refused('closed after the handshake') : required;
  return undefined;
}
