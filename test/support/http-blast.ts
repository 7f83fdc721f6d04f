import { connect } from 'node:net';

export interface BlastAnswer {
  status: number;
  retryAfter: string | undefined;
}

/**
 * `count` small POSTs written at once, pipelined over `connections` sockets: they reach the server in
 * a few milliseconds, whatever the test process's own speed, so a per-second limit is met within one
 * window. (A fetch loop on two busy cores may not even reach the limit.)
 */
export async function blastPosts(port: number, path: string, count: number, connections: number): Promise<{ answers: BlastAnswer[]; elapsedMs: number }> {
  const request = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`;
  const started = performance.now();
  const perSocket = Array.from({ length: connections }, (_, i) => Math.floor(count / connections) + (i < count % connections ? 1 : 0));
  const answers = await Promise.all(
    perSocket.map(
      (n) =>
        new Promise<BlastAnswer[]>((resolve, reject) => {
          const socket = connect(port, '127.0.0.1', () => socket.write(request.repeat(n)));
          let text = '';
          const parsed: BlastAnswer[] = [];
          socket.setEncoding('latin1');
          socket.on('data', (chunk: string) => {
            text += chunk;
            // Responses one after another on the socket: headers, a blank line, content-length bytes of body.
            for (;;) {
              const headerEnd = text.indexOf('\r\n\r\n');
              if (headerEnd < 0) break;
              const head = text.slice(0, headerEnd);
              const length = Number(/^content-length: *(\d+)/im.exec(head)?.[1] ?? 0);
              if (text.length < headerEnd + 4 + length) break;
              parsed.push({ status: Number(head.slice(9, 12)), retryAfter: /^retry-after: *(\S+)/im.exec(head)?.[1] });
              text = text.slice(headerEnd + 4 + length);
            }
            if (parsed.length >= n) {
              socket.destroy();
              resolve(parsed);
            }
          });
          socket.on('error', reject);
        }),
    ),
  );
  return { answers: answers.flat(), elapsedMs: performance.now() - started };
}
