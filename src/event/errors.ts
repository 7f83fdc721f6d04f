/**
 * The one error type the ingest loop acts on. `retriable` decides everything:
 *   permanent (false): the message can never succeed as it is; it goes to `<topic>.dlq` with this
 *                      error's reason, is committed, and the consumer moves on;
 *   transient (true):  the world is at fault (Temporal unavailable, deadline exceeded); retry with
 *                      backoff, holding the partition, and commit nothing past the message.
 */
export type PermanentReason =
  | 'too-large'
  | 'malformed-json'
  | 'invalid-envelope'
  | 'unknown-type'
  | 'missing-subject'
  | 'missing-key'
  | 'key-subject-mismatch'
  | 'schema-invalid'
  | 'rejected-by-temporal';

export type TransientReason = 'temporal-unavailable' | 'deadline-exceeded' | 'dead-letter-unavailable' | 'unexpected';

export class EventProcessingError extends Error {
  readonly retriable: boolean;
  readonly reason: PermanentReason | TransientReason;

  constructor(reason: PermanentReason | TransientReason, retriable: boolean, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EventProcessingError';
    this.reason = reason;
    this.retriable = retriable;
  }

  static permanent(reason: PermanentReason, message: string, options?: ErrorOptions): EventProcessingError {
    return new EventProcessingError(reason, false, message, options);
  }

  static transient(reason: TransientReason, message: string, options?: ErrorOptions): EventProcessingError {
    return new EventProcessingError(reason, true, message, options);
  }
}
