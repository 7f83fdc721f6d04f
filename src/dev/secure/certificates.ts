import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/** A certificate and its private key, PEM (the key PKCS#8, as Kafka's PEM key stores and Node read it). */
export interface CertifiedKey {
  cert: string;
  key: string;
}

export interface CertificateAuthority extends CertifiedKey {
  /** A certificate for `name`, valid for these host names and IP addresses (server), or as a client (its CN is the principal). */
  issue(name: string, options?: { hosts?: string[]; client?: boolean }): CertifiedKey;
}

const DAY_MS = 86_400_000;

/** Keys from Node's crypto; node-forge only builds and signs the X.509 structures around them. */
function keyPair() {
  return generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
}

function certificate(publicKeyPem: string, subject: string, days: number) {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  // A positive serial: a leading byte below 0x80.
  cert.serialNumber = `1${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + days * DAY_MS);
  cert.setSubject([
    { name: 'commonName', value: subject },
    { name: 'organizationName', value: 'oms local stack' },
  ]);
  return cert;
}

/**
 * A certificate authority made for one run of the secured local stack, and the certificates it
 * issues: the brokers', the TLS terminators', and the roles' client certificates. Nothing here is
 * meant to outlive the stack; `days` bounds it anyway.
 */
export function createCertificateAuthority(name = 'oms local stack CA', days = 30): CertificateAuthority {
  const caKeys = keyPair();
  const caKey = forge.pki.privateKeyFromPem(caKeys.privateKey);
  const ca = certificate(caKeys.publicKey, name, days);
  ca.setIssuer(ca.subject.attributes);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKey, forge.md.sha256.create());
  const caKeyId = ca.generateSubjectKeyIdentifier().getBytes();

  return {
    cert: forge.pki.certificateToPem(ca),
    key: caKeys.privateKey,
    issue(subject, options = {}) {
      const keys = keyPair();
      const cert = certificate(keys.publicKey, subject, days);
      cert.setIssuer(ca.subject.attributes);
      const hosts = options.hosts ?? [];
      cert.setExtensions([
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: hosts.length > 0, clientAuth: options.client ?? hosts.length === 0 },
        ...(hosts.length > 0 ? [{ name: 'subjectAltName', altNames: hosts.map((host) => (/^[\d.]+$/.test(host) ? { type: 7, ip: host } : { type: 2, value: host })) }] : []),
        { name: 'subjectKeyIdentifier' },
        { name: 'authorityKeyIdentifier', keyIdentifier: caKeyId },
      ]);
      cert.sign(caKey, forge.md.sha256.create());
      return { cert: forge.pki.certificateToPem(cert), key: keys.privateKey };
    },
  };
}
