import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/**
 * An OTLP trace receiver for the tests, on all three transports (gRPC, HTTP with protobuf, HTTP with
 * JSON), standing in for a collector: no registry we reach ships one (Zipkin's server takes Zipkin's
 * format only). It keeps what it is sent, decoded with the part of opentelemetry-proto it needs.
 */
const OTLP_TRACE_PROTO = `
syntax = "proto3";
package opentelemetry.proto.collector.trace.v1;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message InstrumentationScope { string name = 1; string version = 2; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; string name = 5; int32 kind = 6;
  fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9; repeated Link links = 13;
}
message Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; repeated KeyValue attributes = 4; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; } }
`;
const Request = protobuf.parse(OTLP_TRACE_PROTO, { keepCase: false }).root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string; attributes: Record<string, unknown> }[];
  resource: Record<string, unknown>;
  transport: 'grpc' | 'http/protobuf' | 'http/json';
}

type Json = Record<string, unknown>;
const hexOf = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : Buffer.from(value as Uint8Array).toString('hex'));
const valueOf = (any: Json | undefined): unknown => {
  if (!any) return undefined;
  const [value] = ['stringValue', 'boolValue', 'intValue', 'doubleValue'].map((key) => any[key]).filter((each) => each !== undefined);
  // Integers come as Long objects (protobuf) or as strings (OTLP/JSON).
  if (typeof value === 'object' && value !== null) return Number((value as { toString(): string }).toString());
  return typeof value === 'string' && 'intValue' in any ? Number(value) : value;
};
const attributesOf = (list: Json[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.key as string, valueOf(kv.value as Json)]));

/** Both encodings decode to the same shape: protobufjs objects (bytes as Uint8Array) or OTLP/JSON (ids as hex). */
function spansOf(request: Json, transport: ReceivedSpan['transport']): ReceivedSpan[] {
  return ((request.resourceSpans as Json[] | undefined) ?? []).flatMap((resourceSpans) => {
    const resource = attributesOf((resourceSpans.resource as Json | undefined)?.attributes as Json[]);
    return ((resourceSpans.scopeSpans as Json[] | undefined) ?? []).flatMap((scope) =>
      ((scope.spans as Json[] | undefined) ?? []).map((span) => {
        const parent = span.parentSpanId === undefined ? '' : hexOf(span.parentSpanId);
        return {
          traceId: hexOf(span.traceId),
          spanId: hexOf(span.spanId),
          parentSpanId: parent === '' ? undefined : parent,
          name: span.name as string,
          kind: Number(span.kind ?? 0),
          attributes: attributesOf(span.attributes as Json[]),
          links: ((span.links as Json[] | undefined) ?? []).map((link) => ({ traceId: hexOf(link.traceId), spanId: hexOf(link.spanId), attributes: attributesOf(link.attributes as Json[]) })),
          resource,
          transport,
        };
      }),
    );
  });
}

export interface OtlpReceiver {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT: the gRPC one, and the HTTP one (the exporter adds /v1/traces). */
  grpcEndpoint: string;
  httpEndpoint: string;
  spans: ReceivedSpan[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const http: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const json = (request.headers['content-type'] ?? '').includes('json');
      if (request.url !== '/v1/traces') return void response.writeHead(404).end();
      const decoded = json ? (JSON.parse(body.toString()) as Json) : (Request.toObject(Request.decode(body), { longs: String }));
      spans.push(...spansOf(decoded, json ? 'http/json' : 'http/protobuf'));
      response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : Buffer.alloc(0));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));

  const server = new grpc.Server();
  const passThrough = (value: Buffer) => value;
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: passThrough,
        requestDeserialize: passThrough,
        responseSerialize: passThrough,
        responseDeserialize: passThrough,
      },
    },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        spans.push(...spansOf(Request.toObject(Request.decode(call.request), { longs: String }), 'grpc'));
        callback(null, Buffer.alloc(0));
      },
    },
  );
  const grpcPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))));
  return {
    grpcEndpoint: `http://127.0.0.1:${grpcPort}`,
    httpEndpoint: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    spans,
    close: async () => {
      server.forceShutdown();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
