import { faultInjection } from './faults.ts';
import { serveJson, type RunningStandin, type StandinReply, type StandinRequest } from './http-server.ts';
import { seededCustomer, seededOrder, seededProduct, type SeedCustomer, type SeedOrder, type SeedProduct } from './seed.ts';

export interface StorefrontStandinOptions {
  port?: number;
  host?: string;
  /** At most this many requests in any one-second window (rolling); more answer 429, as the real commerce app does. */
  rateLimitRps: number;
  /** Units in stock per SKU at start. */
  initialStock?: number;
}

export interface StorefrontStats {
  /** Accepted (non-429) API requests per wall-clock second (epoch seconds as keys). */
  perSecond: Record<string, number>;
  /** Accepted API requests by resource (orders, customers, products, reservations, notifications). */
  byResource: Record<string, number>;
  rejected: number;
  total: number;
  /** The most requests accepted in any one-second window so far: how close the senders came to the limit. */
  busiestWindow: number;
}

/**
 * A faithful stand-in for the commerce app's API: seeded products, customers and orders, any of
 * which can be put (a correction, or a shop's own catalogue), stock with idempotent reservations, customer notifications,
 * and a rate limit it enforces with 429 + Retry-After. `/_stats` and `/_notifications` are for tests
 * and the demo; they are neither limited nor counted.
 */
export async function startStorefrontStandin(options: StorefrontStandinOptions): Promise<RunningStandin & { stats: () => StorefrontStats }> {
  const orders = new Map<string, SeedOrder>();
  // Beside the seeded ones: what a shop holds that the seed doesn't (a Shopify order's products and customer).
  const products = new Map<string, SeedProduct>();
  const customers = new Map<string, SeedCustomer>();
  const stock = new Map<string, number>();
  const reservations = new Map<string, { reservationId: string; orderId: string; lines: { sku: string; quantity: number }[]; released: boolean }>();
  const notifications = new Map<string, { orderId: string; template: string; at: string }>();
  const faults = faultInjection();
  const recent: number[] = [];
  const stats: StorefrontStats = { perSecond: {}, byResource: {}, rejected: 0, total: 0, busiestWindow: 0 };
  const initialStock = options.initialStock ?? 1_000_000;
  const stockOf = (sku: string) => stock.get(sku) ?? initialStock;
  const orderOf = (orderId: string) => orders.get(orderId) ?? seededOrder(orderId);
  const productOf = (sku: string) => products.get(sku) ?? seededProduct(sku);
  const found = (body: unknown): StandinReply => (body === undefined ? { status: 404, body: { error: 'not found' } } : { status: 200, body });

  /** Counted by arrival on a monotonic clock: a wall clock stepped by NTP would stretch or shrink the window. */
  const limited = (arrivedAt: number): StandinReply | undefined => {
    while (recent.length > 0 && recent[0]! <= arrivedAt - 1_000) recent.shift();
    stats.total += 1;
    if (recent.length >= options.rateLimitRps) {
      stats.rejected += 1;
      return { status: 429, body: { error: 'rate limit exceeded' }, headers: { 'retry-after': '1' } };
    }
    // Bodies are read before counting, so arrivals can come in slightly out of order.
    let at = recent.length;
    while (at > 0 && recent[at - 1]! > arrivedAt) at -= 1;
    recent.splice(at, 0, arrivedAt);
    stats.busiestWindow = Math.max(stats.busiestWindow, recent.length);
    const second = String(Math.floor(Date.now() / 1_000));
    stats.perSecond[second] = (stats.perSecond[second] ?? 0) + 1;
    return undefined;
  };

  const server = await serveJson(options.port ?? 0, (request) => {
    const [resource] = request.path;
    if (resource === '_stats') return { status: 200, body: stats };
    if (resource === '_notifications') {
      return { status: 200, body: [...notifications.values()].filter((n) => !request.query.get('orderId') || n.orderId === request.query.get('orderId')) };
    }
    if (resource === '_faults') return faults.route(request);
    const rejected = limited(request.arrivedAt);
    if (rejected) return rejected;
    stats.byResource[resource ?? ''] = (stats.byResource[resource ?? ''] ?? 0) + 1;
    return faults.apply(request, api);
  }, options.host);

  function api({ method, path, body }: StandinRequest): StandinReply {
    const [resource, id] = path;

    if (resource === 'orders' && id && method === 'GET') return found(orderOf(id));
    if (resource === 'orders' && id && method === 'PUT') {
      orders.set(id, { ...(body as SeedOrder), orderId: id });
      return { status: 200, body: orders.get(id) };
    }
    if (resource === 'customers' && id && method === 'GET') return found(customers.get(id) ?? seededCustomer(id));
    if (resource === 'customers' && id && method === 'PUT') {
      customers.set(id, { ...(body as SeedCustomer), id });
      return { status: 200, body: customers.get(id) };
    }
    if (resource === 'products' && id && method === 'GET') return found(productOf(id));
    if (resource === 'products' && id && method === 'PUT') {
      products.set(id, { ...(body as SeedProduct), sku: id });
      return { status: 200, body: products.get(id) };
    }
    if (resource === 'inventory' && id && method === 'GET') return found(productOf(id) && { sku: id, available: stockOf(id) });
    if (resource === 'inventory' && id && method === 'PUT') {
      stock.set(id, (body as { available: number }).available);
      return { status: 200, body: { sku: id, available: stockOf(id) } };
    }
    if (resource === 'reservations' && !id && method === 'POST') {
      const { orderId, reservationKey } = body as { orderId: string; reservationKey: string };
      const existing = reservations.get(reservationKey);
      if (existing) return { status: 200, body: existing };
      const order = orderOf(orderId);
      if (!order) return { status: 404, body: { error: `order ${orderId} not found` } };
      const short = order.lines.filter((line) => stockOf(line.sku) < line.quantity);
      if (short.length > 0) return { status: 409, body: { error: `insufficient stock: ${short.map((l) => l.sku).join(', ')}` } };
      for (const line of order.lines) stock.set(line.sku, stockOf(line.sku) - line.quantity);
      const reservation = { reservationId: reservationKey, orderId, lines: order.lines.map(({ sku, quantity }) => ({ sku, quantity })), released: false };
      reservations.set(reservationKey, reservation);
      return { status: 201, body: reservation };
    }
    if (resource === 'reservations' && id && method === 'GET') return found(reservations.get(id));
    if (resource === 'reservations' && id && method === 'DELETE') {
      const reservation = reservations.get(id);
      if (!reservation) return { status: 404, body: { error: 'not found' } };
      if (!reservation.released) for (const line of reservation.lines) stock.set(line.sku, stockOf(line.sku) + line.quantity);
      reservation.released = true;
      return { status: 200, body: reservation };
    }
    if (resource === 'notifications' && method === 'POST') {
      const { orderId, template, idempotencyKey } = body as { orderId: string; template: string; idempotencyKey: string };
      if (!notifications.has(idempotencyKey)) notifications.set(idempotencyKey, { orderId, template, at: new Date().toISOString() });
      return { status: 202, body: { accepted: true } };
    }
    return { status: 404, body: { error: `no route ${method} /${path.join('/')}` } };
  }
  return { ...server, stats: () => stats };
}
