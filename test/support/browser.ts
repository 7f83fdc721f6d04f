import Chromium from '@sparticuz/chromium';
import { chromium, type Browser } from 'playwright-core';

/**
 * A real headless Chromium for the UI tests, from the npm package @sparticuz/chromium (a Chromium build
 * inside the package, x64; unpacked into the temp folder once). Of its flags, those that would
 * weaken what a page may do are left out: the tests check CORS, as a user's browser enforces it.
 */
const WEAKENING = new Set(['--disable-web-security', '--allow-running-insecure-content', '--disable-site-isolation-trials']);

export async function launchBrowser(): Promise<Browser> {
  if (process.arch !== 'x64') throw new Error(`@sparticuz/chromium ships an x64 Chromium only; this machine is ${process.arch}`);
  return chromium.launch({
    executablePath: await Chromium.executablePath(),
    // Without the background-networking flags chromium keeps dialling Google's hosts, which this network refuses.
    args: [...Chromium.args.filter((flag) => !WEAKENING.has(flag)), '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
