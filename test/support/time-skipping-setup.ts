import { timeSkippingServer } from './time-skipping.ts';

/** Installs the time-skipping test server once, before the logic files start it side by side. */
export default async function setup(): Promise<void> {
  await timeSkippingServer();
}
