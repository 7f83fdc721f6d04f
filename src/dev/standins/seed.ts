import { createHash } from 'node:crypto';
import type { StorefrontCustomer, StorefrontOrder, StorefrontProduct } from '../../activity/storefront/client.ts';

/**
 * Deterministic seeded data shared by the storefront stand-in and the demo producer: the same id
 * always yields the same product, customer or order, on every machine and run.
 */
function prng(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32BE(0) || 1;
  return () => {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Berners-Lee'];
const CITIES: [string, string][] = [
  ['Berlin', 'DE'],
  ['Lyon', 'FR'],
  ['Leeds', 'GB'],
  ['Utrecht', 'NL'],
  ['Porto', 'PT'],
];

export const PRODUCT_COUNT = 200;
export const CUSTOMER_COUNT = 1_000;

export const skuFor = (n: number) => `SKU-${String(n).padStart(4, '0')}`;
export const customerIdFor = (n: number) => `CUST-${String(n).padStart(4, '0')}`;

/** The stand-in serves exactly the storefront API's types, so it can't drift from the client. */
export type SeedProduct = StorefrontProduct;

export function seededProduct(sku: string): SeedProduct | undefined {
  const match = /^SKU-(\d{4})$/.exec(sku);
  if (!match || Number(match[1]) < 1 || Number(match[1]) > PRODUCT_COUNT) return undefined;
  const random = prng(sku);
  return { sku, name: `Product ${match[1]}`, unitPrice: Math.round((1 + random() * 199) * 100) / 100, weightGrams: 50 + Math.floor(random() * 5_000) };
}

export type SeedCustomer = StorefrontCustomer;

export function seededCustomer(id: string): SeedCustomer | undefined {
  const match = /^CUST-(\d{4})$/.exec(id);
  if (!match || Number(match[1]) < 1 || Number(match[1]) > CUSTOMER_COUNT) return undefined;
  const random = prng(id);
  const first = FIRST[Math.floor(random() * FIRST.length)]!;
  const last = LAST[Math.floor(random() * LAST.length)]!;
  return { id, name: `${first} ${last}`, email: `${first}.${last}.${match[1]}@example.com`.toLowerCase() };
}

export type SeedOrder = StorefrontOrder;

/** Every id of the form ORD-<letters, digits, dashes> names a seeded order; anything else does not exist. */
export function seededOrder(orderId: string): SeedOrder | undefined {
  if (!/^ORD-[A-Za-z0-9-]+$/.test(orderId)) return undefined;
  const random = prng(orderId);
  const customerId = customerIdFor(1 + Math.floor(random() * CUSTOMER_COUNT));
  const lineCount = 1 + Math.floor(random() * 3);
  const lines = Array.from({ length: lineCount }, () => {
    const product = seededProduct(skuFor(1 + Math.floor(random() * PRODUCT_COUNT)))!;
    return { sku: product.sku, quantity: 1 + Math.floor(random() * 4), unitPrice: product.unitPrice };
  });
  const [city, country] = CITIES[Math.floor(random() * CITIES.length)]!;
  return {
    orderId,
    customerId,
    lines,
    currency: 'EUR',
    total: orderTotal(lines),
    shippingAddress: { line1: `${1 + Math.floor(random() * 200)} Main Street`, city, postalCode: String(10_000 + Math.floor(random() * 89_999)), country },
    placedAt: new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 300) * 86_400_000).toISOString(),
  };
}

export function orderTotal(lines: { quantity: number; unitPrice: number }[]): number {
  return Math.round(lines.reduce((sum, line) => sum + line.quantity * line.unitPrice * 100, 0)) / 100;
}
