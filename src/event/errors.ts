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

/** One field of an event that failed validation, named by its path (`data.customer.email`, `id`). */
export interface FieldIssue {
  field: string;
  message: string;
}

export class EventProcessingError extends Error {
  readonly retriable: boolean;
  readonly reason: PermanentReason | TransientReason;
  /** The fields at fault, when validation can name them (the gateway's 400 lists them). */
  readonly fields: FieldIssue[];

  constructor(reason: PermanentReason | TransientReason, retriable: boolean, message: string, options?: ErrorOptions & { fields?: FieldIssue[] }) {
    super(message, options);
    this.name = 'EventProcessingError';
    this.reason = reason;
    this.retriable = retriable;
    this.fields = options?.fields ?? [];
  }

  static permanent(reason: PermanentReason, message: string, options?: ErrorOptions & { fields?: FieldIssue[] }): EventProcessingError {
    return new EventProcessingError(reason, false, message, options);
  }

  static transient(reason: TransientReason, message: string, options?: ErrorOptions): EventProcessingError {
    return new EventProcessingError(reason, true, message, options);
  }
}
