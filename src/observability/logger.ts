import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Personal data (the customer object with its name and email, addresses, phone numbers) and secrets
 * never reach the logs, up to four levels deep in a logged object: pino censors these paths.
 */
export const REDACTED_PATHS = [
  ...['customer', 'shippingAddress', 'address', 'email', 'phone', 'customerName', 'password', 'apiKey', 'token'].flatMap((key) => [
    key,
    `*.${key}`,
    `*.*.${key}`,
    `*.*.*.${key}`,
  ]),
];

export interface LoggerOptions {
  level: string;
  pretty: boolean;
  destination?: NodeJS.WritableStream;
}

/** A line written inside a span names it, so a trace viewer and the logs lead to each other. */
function traceFields(): Record<string, string> {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : {};
}

export function createLogger(options: LoggerOptions): Logger {
  const base = { level: options.level, base: { service: 'oms' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, mixin: traceFields };
  if (options.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return options.destination ? pino(base, options.destination) : pino(base);
}
