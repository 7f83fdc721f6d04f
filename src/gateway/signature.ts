import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The two ways webhook senders sign, both HMAC-SHA256 with a secret shared per source:
 *   body:        over the raw body, the digest in one header (Shopify: base64 in X-Shopify-Hmac-Sha256;
 *                GitHub-style senders: `sha256=<hex>` in X-Signature-256);
 *   timestamped: over `<unix seconds>.<raw body>`, sent as `t=<unix seconds>,v1=<hex>[,v1=<hex>]`
 *                (Stripe-Signature). The timestamp is signed, so a captured request can only be
 *                replayed within the tolerance window.
 */
export type SignatureScheme =
  | { kind: 'body'; header: string; encoding: 'base64' | 'hex'; prefix?: string }
  | { kind: 'timestamped'; header: string };

export type SignatureFailure = 'missing-signature' | 'malformed-signature' | 'bad-signature' | 'stale-timestamp';

export type Verdict = { ok: true } | { ok: false; reason: SignatureFailure };

const DIGEST_BYTES = 32;

const hmac = (secret: string, ...parts: (string | Buffer)[]) => {
  const mac = createHmac('sha256', secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
};

/**
 * Every secret is tried, with no early exit, so the time taken says nothing about which one (or
 * which byte) matched. Lengths are fixed before the comparison: a digest that decodes to another
 * length is refused without comparing.
 */
function anyMatches(expected: Buffer[], candidates: Buffer[]): boolean {
  let matched = false;
  for (const candidate of candidates) {
    if (candidate.length !== DIGEST_BYTES) continue;
    for (const digest of expected) matched = timingSafeEqual(digest, candidate) || matched;
  }
  return matched;
}

function decode(text: string, encoding: 'base64' | 'hex'): Buffer | undefined {
  const pattern = encoding === 'hex' ? /^[0-9a-fA-F]{64}$/ : /^[A-Za-z0-9+/]{43}=$/;
  return pattern.test(text) ? Buffer.from(text, encoding) : undefined;
}

/** Checks a request's signature against every current secret of its source; nothing of the body is parsed. */
export function verifySignature(
  scheme: SignatureScheme,
  secrets: readonly string[],
  header: string | undefined,
  body: Buffer,
  options: { nowMs: number; toleranceMs: number },
): Verdict {
  if (!header) return { ok: false, reason: 'missing-signature' };
  if (scheme.kind === 'body') {
    const text = scheme.prefix ? (header.startsWith(scheme.prefix) ? header.slice(scheme.prefix.length) : '') : header;
    const given = decode(text.trim(), scheme.encoding);
    if (!given) return { ok: false, reason: 'malformed-signature' };
    return anyMatches(secrets.map((secret) => hmac(secret, body)), [given]) ? { ok: true } : { ok: false, reason: 'bad-signature' };
  }
  const parts = header.split(',').map((part) => part.trim().split('=', 2) as [string, string?]);
  const timestamp = parts.find(([name]) => name === 't')?.[1];
  const given = parts.filter(([name]) => name === 'v1').map(([, value]) => decode(value ?? '', 'hex'));
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || given.length === 0 || given.some((digest) => digest === undefined)) {
    return { ok: false, reason: 'malformed-signature' };
  }
  if (!anyMatches(secrets.map((secret) => hmac(secret, timestamp, '.', body)), given as Buffer[])) return { ok: false, reason: 'bad-signature' };
  // Checked after the signature: an unsigned timestamp proves nothing, and says nothing about a replay.
  if (Math.abs(options.nowMs - Number(timestamp) * 1_000) > options.toleranceMs) return { ok: false, reason: 'stale-timestamp' };
  return { ok: true };
}

/** The header value a sender puts on a request: for the demo, the tests, and the curl lines in docs/contract.md. */
export function signatureHeader(scheme: SignatureScheme, secret: string, body: Buffer | string, nowMs = Date.now()): string {
  if (scheme.kind === 'body') return `${scheme.prefix ?? ''}${hmac(secret, body).toString(scheme.encoding)}`;
  const timestamp = String(Math.floor(nowMs / 1_000));
  return `t=${timestamp},v1=${hmac(secret, timestamp, '.', body).toString('hex')}`;
}
