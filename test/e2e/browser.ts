/**
 * Helpers for the end-to-end tests: Debian's Chromium through playwright-core (never a
 * downloaded browser), pages at 1280×800, and screenshots saved as test artifacts.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS_DIR = path.join(ROOT, 'test-results');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}

/** A fresh page at the app's URL; page errors and console errors are collected for assertions. */
export async function openApp(
  browser: Browser,
  url: string,
): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  await page.goto(url);
  // The printed URL's token is exchanged for a cookie: the address the page ends at has none.
  if (new URL(page.url()).searchParams.has('token'))
    throw new Error(`the token stayed in the address: ${page.url()}`);
  // The presets arrive over the WebSocket: once the preset list is filled, the app is live.
  await page.getByLabel('Preset').locator('option').first().waitFor({ state: 'attached' });
  return { page, problems };
}

/** Saves a PNG of the whole window under test-results/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
