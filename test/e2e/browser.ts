/**
 * Helpers for the end-to-end tests: Debian's Chromium through playwright-core (never a
 * downloaded browser), pages at 1280×800, and screenshots saved as test artifacts.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { onTestFailed } from 'vitest';

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
  onTestFailed(({ task }) => describeOnFailure(page, task.name, problems));
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

let failedPages = 0;

/**
 * When a test fails, says what each of its pages showed: a screenshot under test-results/,
 * whether the page still answers, its selected tab, its statuses and alerts, and the start
 * of the training pane's and the shown tab's text. A failure on CI can then be read from
 * the log alone.
 */
async function describeOnFailure(page: Page, test: string, problems: string[]): Promise<void> {
  if (page.isClosed()) return;
  const name = `failed-${++failedPages}`;
  const shot = await screenshot(page, name).catch((error: Error) => `none (${error.message})`);
  const state = (async () => ({
    tab: await page.locator('[role="tab"][aria-selected="true"]').allTextContents(),
    statuses: await page.locator('[role="status"], [role="alert"]').allTextContents(),
    // The training pane and the tab shown say most about where a test stood.
    text: (await page.locator('section.dashboard, [role="tabpanel"]:not([hidden])').allInnerTexts())
      .map((text) => text.slice(0, 800))
      .join('\n---\n'),
  }))();
  const answer = await Promise.race([
    state,
    new Promise<null>((resolve) => setTimeout(() => resolve(null), 5000)),
  ]).catch(() => null);
  const lines = [
    `[${test}] page ${name}: screenshot ${shot}`,
    answer
      ? `selected tab: ${answer.tab.join(', ')}; statuses and alerts: ${JSON.stringify(answer.statuses.map((text) => text.trim()))}`
      : 'the page did not answer within 5 s',
    `page problems: ${JSON.stringify(problems)}`,
    ...(answer ? ['text:', answer.text] : []),
  ];
  console.error(lines.join('\n'));
}
