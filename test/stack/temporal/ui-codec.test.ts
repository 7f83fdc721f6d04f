import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, test, vi } from 'vitest';
import { ensureDevCodecToken } from '../../../src/dev/dev-keys.ts';
import { nativePorts } from '../../../src/dev/native/services.ts';
import { orderEvent, toRecord } from '../../../src/dev/standins/events.ts';
import { spawnOms } from '../../support/cli.ts';
import { randomPort } from '../../support/names.ts';
import { launchBrowser } from '../../support/browser.ts';
import { startTestService, type TestService } from '../../support/service.ts';

/**
 * The local Temporal UI, in a real browser (Chromium from the npm package @sparticuz/chromium, driven by playwright-core), shows an
 * order's input decrypted once the codec server `oms start` would run is up, and not before.
 */
const screenshots = path.resolve(import.meta.dirname, '../../.cache/test-output/ui-codec');
let service: TestService;
let browser: Browser;
beforeAll(async () => {
  service = await startTestService();
  browser = await launchBrowser();
  await mkdir(screenshots, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

test('the local Temporal UI shows an order workflow input decrypted through the codec server, and only with it', { timeout: 120_000 }, async () => {
  expect(inject('stackSource'), 'the local UI is configured with the codec endpoint by the native stack (oms dev up)').toBe('native');
  const ports = nativePorts();
  const orderId = service.orderId('ui');
  await service.produce(service.config.topics.orderEvents, [toRecord(orderEvent('order.created', orderId))]);
  await vi.waitFor(async () => expect((await service.orderStatus(orderId)).stage).toBe('awaiting-payment'), { timeout: 60_000, interval: 250 });
  // In the input only (its settings name the activity queues), never in the page's own chrome.
  const decryptedOnly = service.config.taskQueues.activities.notification;
  const page = await browser.newPage();
  const url = `http://127.0.0.1:${ports.temporalUi}/namespaces/default/workflows/order-${orderId}`;

  await page.goto(url);
  await page.getByText(`order-${orderId}`).first().waitFor({ timeout: 30_000 });
  await page.waitForTimeout(2_000);
  await page.screenshot({ path: path.join(screenshots, 'without-codec-server.png'), fullPage: true });
  expect(await page.content()).not.toContain(decryptedOnly);

  const codec = spawnOms(['codec-server'], {
    ...service.env,
    HTTP_PORT: randomPort(),
    CODEC_SERVER_PORT: String(ports.codecServer),
    CODEC_SERVER_TOKENS: ensureDevCodecToken(),
    CODEC_SERVER_UI_ORIGINS: `http://127.0.0.1:${ports.temporalUi}`,
  });
  try {
    await vi.waitFor(async () => expect((await fetch(`http://127.0.0.1:${ports.codecServer}/healthz`)).status).toBe(200), { timeout: 30_000, interval: 100 });
    await page.goto(url);
    await page.getByText(decryptedOnly).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(screenshots, 'with-codec-server.png'), fullPage: true });
    expect(await page.content()).toContain(decryptedOnly);
  } finally {
    codec.child.kill('SIGTERM');
    await codec.exited;
  }
});
