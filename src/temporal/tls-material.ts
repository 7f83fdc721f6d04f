import { readFileSync } from 'node:fs';
import type { ConfigDataSource } from '@temporalio/envconfig';

/** The bytes of a certificate or key given as a path or inline, as Temporal's client config allows. */
export const bytesOf = (source: ConfigDataSource): Buffer => ('path' in source ? readFileSync(source.path) : Buffer.from(source.data));
