/**
 * What the end-to-end tests do again and again, as a person would do it in the page:
 * write a corpus, open it, fill in a run, train it, generate.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, inject } from 'vitest';
import { launchBrowser } from './browser';

export const work = mkdtempSync(path.join(os.tmpdir(), 'lstm-studio-e2e-files-'));

const SENTENCES = [
  'The cat sat on the mat. ',
  'A dog ran in the park and the cat watched it. ',
  'Rain fell on the old town all night long. ',
  'She read the letter twice, then put it away. ',
];

/** A small corpus: a few sentences repeated, about 9 000 characters. */
export function writeTinyCorpus(name = 'tiny-corpus.txt'): string {
  const file = path.join(work, name);
  writeFileSync(file, SENTENCES.join('').repeat(55));
  return file;
}

/**
 * A corpus whose first 600 characters (the validation split, with `validation: 600
 * characters`) are random letters and the rest the tiny corpus's sentences: the model
 * memorises the sentences, so its validation result is best early and then worsens.
 */
export function writeMemorisingCorpus(): string {
  const train = SENTENCES.join('').repeat(55);
  const alphabet = [...new Set(train)];
  let seed = 7;
  let validation = '';
  for (let i = 0; i < 600; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    validation += alphabet[Math.floor((seed / 2147483648) * alphabet.length)];
  }
  const file = path.join(work, 'memorising.txt');
  writeFileSync(file, validation + train);
  return file;
}

/** Opens a corpus file through the "Open corpus" control and waits for its report. */
export async function openCorpus(page: Page, file: string): Promise<void> {
  const input = page.getByLabel('Open corpus');
  // Disabled while a corpus is being read (or re-read after an option changed).
  await expect.poll(() => input.isEnabled(), { timeout: 30_000 }).toBe(true);
  await input.setInputFiles(file);
  await expect
    .poll(() => page.locator('.report h3.name').textContent(), { timeout: 30_000 })
    .toBe(path.basename(file));
}

export interface RunFields {
  steps: number;
  summaryEvery?: number;
  sampleEvery?: number;
  samples?: number;
  sampleLength?: number;
  checkpointEvery?: number;
}

/** Fills in the run's fields (opening "Reporting and checkpoints" when needed). */
export async function setRun(page: Page, fields: RunFields): Promise<void> {
  await page.getByLabel('Steps', { exact: true }).fill(String(fields.steps));
  const reporting: [string, number | undefined][] = [
    ['Summary every', fields.summaryEvery],
    ['Samples every', fields.sampleEvery],
    ['Samples', fields.samples],
    ['Sample length', fields.sampleLength],
    ['Checkpoint every', fields.checkpointEvery],
  ];
  const details = page.locator('details', { hasText: 'Reporting and checkpoints' });
  if (!(await details.getAttribute('open'))) {
    await page.locator('summary', { hasText: 'Reporting and checkpoints' }).click();
  }
  for (const [label, value] of reporting) {
    if (value !== undefined)
      await page.getByRole('spinbutton', { name: label, exact: true }).fill(String(value));
  }
}

/** Presses Start training once it is enabled. */
export async function startTraining(page: Page): Promise<void> {
  const start = page.getByRole('button', { name: 'Start training' });
  await expect.poll(() => start.isEnabled(), { timeout: 30_000 }).toBe(true);
  await start.click();
}

export async function waitForStatus(page: Page, status: RegExp, timeout = 90_000): Promise<void> {
  await page.getByRole('status').filter({ hasText: status }).waitFor({ timeout });
}

/** Opens the tiny corpus, sets a short run that samples, and trains it to the end. */
export async function trainSmallModel(page: Page, steps: number): Promise<void> {
  await openCorpus(page, writeTinyCorpus());
  await setRun(page, { steps, summaryEvery: 50, sampleEvery: 100, sampleLength: 40 });
  await startTraining(page);
  await waitForStatus(page, /^Finished$/);
}

/** Shows one of the window's tabs and waits for its panel to show; returns the panel. */
export async function showTab(page: Page, name: string): Promise<Locator> {
  await page.getByRole('tab', { name, exact: true }).click();
  const panel = page.getByRole('tabpanel', { name, exact: true });
  await panel.waitFor({ state: 'visible', timeout: 30_000 });
  return panel;
}

/** Generates `length` characters after `prime` with `seed`; returns the output's text. */
export async function generate(
  page: Page,
  seed: number,
  length: number,
  prime = '',
): Promise<string> {
  const panel = await showTab(page, 'Generator');
  await panel.getByLabel('Prime text').fill(prime);
  await panel.getByRole('spinbutton', { name: /^Length/ }).fill(String(length));
  await panel.getByRole('spinbutton', { name: /^Seed/ }).fill(String(seed));
  const button = panel.getByRole('button', { name: 'Generate' });
  await expect.poll(() => button.isEnabled()).toBe(true);
  await button.click();
  const output = page.getByRole('textbox', { name: 'Generated text', exact: true });
  await expect
    .poll(async () => [...((await output.textContent()) ?? '')].length, { timeout: 30_000 })
    .toBe([...prime].length + length);
  await expect.poll(() => output.getAttribute('aria-busy')).toBe('false');
  return (await output.textContent()) ?? '';
}

/**
 * Stops a run a failed test left training (the engine serves every test and trains one run
 * at a time), so the next test starts from a quiet engine.
 */
export async function stopRunLeftBehind(browser: Browser, url: string): Promise<void> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.getByLabel('Preset').locator('option').first().waitFor({ state: 'attached' });
    const stop = page
      .getByRole('region', { name: 'Training' })
      .getByRole('button', { name: 'Stop' });
    // A run shows within the first answers of the engine; give them a moment to arrive.
    await page.waitForTimeout(1000);
    if (await stop.isEnabled()) {
      await stop.click();
      await waitForStatus(page, /^Stopped at step/, 60_000);
    }
  } finally {
    await context.close();
  }
}

/**
 * Registers what every end-to-end file needs: one Chromium for the file, and no run left
 * training after a test (the engine serves every test and trains one run at a time).
 */
export function e2eBrowser(): { appUrl: string; browser: () => Browser } {
  const appUrl = inject('appUrl');
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterEach(async () => {
    if (browser) await stopRunLeftBehind(browser, appUrl);
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    appUrl,
    browser: () => {
      if (!browser) throw new Error('the browser starts in beforeAll');
      return browser;
    },
  };
}
