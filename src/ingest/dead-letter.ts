import type { IHeaders, Producer } from 'kafkajs';
import type { EventProcessingError } from '../event/errors.ts';
import type { RawMessage } from '../event/envelope.ts';

export const DLQ_SUFFIX = '.dlq';
export const dlqTopicFor = (topic: string) => `${topic}${DLQ_SUFFIX}`;

/** Headers a dead letter carries besides the original ones: enough to understand and re-drive it. */
export const DLQ_HEADERS = {
  errorClass: 'oms.dlq.error.class',
  errorMessage: 'oms.dlq.error.message',
  originalTopic: 'oms.dlq.original.topic',
  originalPartition: 'oms.dlq.original.partition',
  originalOffset: 'oms.dlq.original.offset',
  originalTimestamp: 'oms.dlq.original.timestamp',
  deadLetteredAt: 'oms.dlq.dead-lettered.at',
} as const;

export interface DeadLetterSource {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  message: RawMessage;
}

/** The original key, value and headers, byte for byte, plus the reason headers. */
export async function sendToDeadLetter(producer: Producer, source: DeadLetterSource, error: EventProcessingError): Promise<void> {
  const reasonHeaders: IHeaders = {
    [DLQ_HEADERS.errorClass]: error.reason,
    [DLQ_HEADERS.errorMessage]: error.message,
    [DLQ_HEADERS.originalTopic]: source.topic,
    [DLQ_HEADERS.originalPartition]: String(source.partition),
    [DLQ_HEADERS.originalOffset]: source.offset,
    [DLQ_HEADERS.originalTimestamp]: source.timestamp,
    [DLQ_HEADERS.deadLetteredAt]: new Date().toISOString(),
  };
  await producer.send({
    topic: dlqTopicFor(source.topic),
    messages: [{ key: source.message.key, value: source.message.value, headers: { ...(source.message.headers as IHeaders), ...reasonHeaders } }],
  });
}
