import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { KeyRing } from './key-ring.ts';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
// A CommonJS module whose exports Node's ESM loader can't name: take them from the default export.
const { Payload: PayloadMessage } = proto.temporal.api.common.v1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export type PayloadDecryptionReason = 'unknown-key' | 'no-key-id' | 'not-authentic';

/**
 * An encrypted payload that can't be decrypted. Never passed on as it is: a workflow task that meets
 * one fails (and retries once the ring is fixed), and a client call throws it.
 */
export class PayloadDecryptionError extends Error {
  readonly reason: PayloadDecryptionReason;
  constructor(reason: PayloadDecryptionReason, message: string) {
    super(message);
    this.name = 'PayloadDecryptionError';
    this.reason = reason;
  }
}

/**
 * AES-256-GCM over the whole encoded payload (its metadata too: the encoding says what the JSON was),
 * a fresh random nonce per payload, stored as nonce | ciphertext | tag. The key id is bound as
 * associated data, so a payload relabelled with another key id fails as not authentic.
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly ring: KeyRing;
  private readonly activeKey: Buffer;
  private readonly activeIdBytes: Uint8Array;

  constructor(ring: KeyRing) {
    this.ring = ring;
    this.activeKey = ring.keys.get(ring.activeId)!;
    this.activeIdBytes = Buffer.from(ring.activeId);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.activeKey, nonce).setAAD(this.activeIdBytes);
      const plain = PayloadMessage.encode(payload).finish();
      return {
        metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: this.activeIdBytes },
        data: Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      // Payloads written before encryption was turned on stay readable.
      if (!isEncrypted(payload)) return payload;
      const idBytes = payload.metadata?.[KEY_ID_METADATA];
      if (!idBytes) throw new PayloadDecryptionError('no-key-id', `an encrypted payload has no ${KEY_ID_METADATA} metadata`);
      const id = Buffer.from(idBytes).toString();
      const key = this.ring.keys.get(id);
      if (!key) {
        throw new PayloadDecryptionError('unknown-key', `payload encrypted with key "${id}", which is not in the key ring (${[...this.ring.keys.keys()].join(', ')})`);
      }
      const data = Buffer.from(payload.data ?? []);
      if (data.length < NONCE_BYTES + TAG_BYTES) throw new PayloadDecryptionError('not-authentic', `an encrypted payload of key "${id}" is truncated`);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_BYTES)).setAAD(idBytes);
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        const plain = Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
        return PayloadMessage.decode(plain);
      } catch {
        throw new PayloadDecryptionError('not-authentic', `a payload of key "${id}" failed authentication: altered, or encrypted with another key of that id`);
      }
    });
  }
}

export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && encoding !== null && Buffer.from(encoding).toString() === ENCRYPTED_ENCODING;
}
