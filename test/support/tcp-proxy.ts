import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of a real service, for fault injection: `cut()` drops every connection and
 * refuses new ones (the service looks down to whoever uses the proxy), `hang()` holds back every byte
 * on every connection, old and new (the service looks stuck: calls wait out their deadlines),
 * `restore()` lets everything through again, what was held first.
 */
export async function startTcpProxy(target: string) {
  const [host, port] = target.split(':') as [string, string];
  const sockets = new Set<net.Socket>();
  const held: [net.Socket, Buffer][] = [];
  let open = true;
  let hung = false;
  const forward = (from: net.Socket, to: net.Socket) => {
    from.on('data', (chunk: Buffer) => (hung ? held.push([to, chunk]) : to.write(chunk)));
    from.on('close', () => to.destroy());
  };
  const server = net.createServer((client) => {
    if (!open) return void client.destroy();
    const upstream = net.connect(Number(port), host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    hang() {
      hung = true;
    },
    restore() {
      open = true;
      hung = false;
      for (const [to, chunk] of held.splice(0)) if (!to.destroyed) to.write(chunk);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
