/**
 * The window's bugs from daily use, each driven as a person would in real Chromium against
 * browser mode and the real engine: stale corpus options, an invalid split that still
 * trained, Pause-then-Stop, a reload during a run, the prime left out of the text, and
 * several "best" checkpoints with Save saving the wrong one.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { readModelSummary } from '../../src-main/model';
import { openApp, screenshot } from './browser';
import {
  generate,
  openCorpus,
  setRun,
  startTraining,
  trainSmallModel,
  waitForStatus,
  writeMemorisingCorpus,
  writeTinyCorpus,
  e2eBrowser,
  showTab,
} from './steps';

const { appUrl, browser } = e2eBrowser();

/** The corpus report's "N symbols". */
function vocabularySize(page: Page): Promise<string | null> {
  return page.locator('.report .stats dt', { hasText: 'Vocabulary' }).locator('+ dd').textContent();
}

/** The step the status row names as best ("best 2.53 bits/char @ 50"), or null. */
async function statusBestStep(page: Page): Promise<number | null> {
  const text = (await page.locator('.status-row').textContent()) ?? '';
  const match = /best [\d.]+ bits\/char @ ([\d,]+)/.exec(text);
  return match ? Number(match[1]!.replace(/,/g, '')) : null;
}

function stopButton(page: Page) {
  return page.getByRole('region', { name: 'Training' }).getByRole('button', { name: 'Stop' });
}

describe('bugs of the window', () => {
  test('normalisation and vocabulary limits changed after opening re-read the corpus, both ways; training uses them', async () => {
    const { page, problems } = await openApp(browser(), appUrl);
    await page.getByLabel('Normalisation').selectOption('keep');
    await openCorpus(page, writeTinyCorpus('mixed-case.txt'));
    // The sentences have four capitals (T, A, R, S) whose lowercase letters occur too.
    const kept = Number.parseInt((await vocabularySize(page))!, 10);
    await page.getByLabel('Normalisation').selectOption('lowercase');
    await expect.poll(() => vocabularySize(page), { timeout: 30_000 }).toBe(`${kept - 4} symbols`);
    expect(await page.getByLabel('Normalised preview').textContent()).toMatch(/^the cat sat/);

    // The run trains on the corpus as now read: its model knows the lowercase alphabet.
    await setRun(page, { steps: 100, summaryEvery: 50 });
    await startTraining(page);
    await waitForStatus(page, /^Finished$/);
    await showTab(page, 'Models');
    await page.getByRole('button', { name: 'Save model' }).click();
    const summary = page.locator('dl.summary');
    await expect
      .poll(() => summary.locator('dt', { hasText: 'Vocabulary' }).locator('+ dd').textContent())
      .toBe(`${kept - 4} symbols (lowercase)`);

    // And back the other way.
    await page.getByLabel('Normalisation').selectOption('keep');
    await expect.poll(() => vocabularySize(page), { timeout: 30_000 }).toBe(`${kept} symbols`);
    expect(await page.getByLabel('Normalised preview').textContent()).toMatch(/^The cat sat/);

    // Vocabulary limits re-derive the vocabulary the same way.
    await page.locator('summary', { hasText: 'Vocabulary limits' }).click();
    await page.getByLabel('Maximum vocabulary size').fill('10');
    await expect.poll(() => vocabularySize(page), { timeout: 30_000 }).toBe('10 symbols');
    await page.getByLabel('Maximum vocabulary size').fill('');
    await expect.poll(() => vocabularySize(page), { timeout: 30_000 }).toBe(`${kept} symbols`);
    expect(problems).toEqual([]);
  });

  test('an invalid validation split disables Start training, with the reason', async () => {
    const { page, problems } = await openApp(browser(), appUrl);
    await openCorpus(page, writeTinyCorpus());
    const start = page.getByRole('button', { name: 'Start training' });
    const split = page.getByLabel('Validation split size');
    await expect.poll(() => start.isEnabled(), { timeout: 30_000 }).toBe(true);
    for (const invalid of ['2', '0.5', '0']) {
      await split.fill(invalid);
      await expect.poll(() => start.isEnabled()).toBe(false);
      expect(await split.getAttribute('aria-invalid')).toBe('true');
      expect(await page.locator('#start-blocker').textContent()).toBe(
        'The validation split must be more than 0 and less than 0.5 of the text',
      );
    }
    await split.fill('0.05');
    await expect.poll(() => start.isEnabled(), { timeout: 30_000 }).toBe(true);
    expect(await split.getAttribute('aria-invalid')).toBeNull();
    expect(problems).toEqual([]);
  });

  test('Pause then Stop: no page error, one best checkpoint, the one the status names; Save saves it', async () => {
    const { page, problems } = await openApp(browser(), appUrl);
    // Validation on 600 random characters, training on sentences: best early, then worse.
    await page.getByLabel('Validation split unit').selectOption('chars');
    await page.getByLabel('Validation split size').fill('600');
    await openCorpus(page, writeMemorisingCorpus());
    await setRun(page, {
      steps: 1_000_000,
      summaryEvery: 50,
      sampleEvery: 1000,
      checkpointEvery: 50,
    });
    await startTraining(page);
    const checkpoints = page.getByRole('list', { name: 'Checkpoints' }).getByRole('listitem');
    await expect
      .poll(() => checkpoints.filter({ hasText: /^step \d/ }).count(), { timeout: 60_000 })
      .toBeGreaterThanOrEqual(4);
    await page.getByRole('button', { name: 'Pause' }).click();
    await waitForStatus(page, /^Paused at step/, 30_000);
    await stopButton(page).click();
    await waitForStatus(page, /^Stopped at step/, 30_000);
    await screenshot(page, 'e2e-pause-stop');

    // One best, marked where the status says.
    const best = checkpoints.filter({ hasText: 'best' });
    expect(await best.count()).toBe(1);
    const bestStep = await statusBestStep(page);
    expect(bestStep).toBe(50);
    expect(await best.textContent()).toMatch(/^step 50\b/);
    // The list shows what is on disk: the last three step files and best.lstm.
    expect(await checkpoints.count()).toBe(4);

    // Save model offers the best checkpoint (chosen) or the last step, and saves what it says.
    await showTab(page, 'Models');
    const bestChoice = page.getByRole('radio', { name: /^the best checkpoint: step 50,/ });
    expect(await bestChoice.isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Save model' }).click();
    const saved = page.getByText(/^Saved the best checkpoint \(step 50\) as/);
    await saved.waitFor({ timeout: 30_000 });
    const savedPath = (await saved.locator('code').textContent())!;
    expect((await readModelSummary(savedPath)).step).toBe(50);
    await page.getByRole('radio', { name: /^the last step: / }).check();
    await page.getByRole('button', { name: 'Save model' }).click();
    const last = page.getByText(/^Saved step [\d,]+ as/);
    await last.waitFor({ timeout: 30_000 });
    const lastStep = Number(
      /step ([\d,]+)/.exec((await last.textContent())!)![1]!.replace(/,/g, ''),
    );
    expect(lastStep).toBeGreaterThan(200);
    expect((await readModelSummary((await last.locator('code').textContent())!)).step).toBe(
      lastStep,
    );
    expect(problems).toEqual([]);
  });

  test('reloading during a run keeps its chart from the start, its corpus, its settings, and the hint after Stop', async () => {
    const { page, problems } = await openApp(browser(), appUrl);
    await openCorpus(page, writeTinyCorpus('reload-corpus.txt'));
    await setRun(page, {
      steps: 1_000_000,
      summaryEvery: 50,
      sampleEvery: 100,
      sampleLength: 30,
      checkpointEvery: 200,
    });
    await startTraining(page);
    const status = page.getByRole('status').filter({ hasText: /^Training: step / });
    const step = async () =>
      Number(((await status.textContent()) ?? '').match(/step ([\d,]+)/)?.[1]?.replace(/,/g, ''));
    await expect.poll(step, { timeout: 60_000 }).toBeGreaterThanOrEqual(400);

    await page.reload();
    await page.getByLabel('Preset').locator('option').first().waitFor({ state: 'attached' });
    await status.waitFor({ timeout: 30_000 });
    await expect
      .poll(() => page.locator('.report h3.name').textContent())
      .toBe('reload-corpus.txt');
    expect(await page.getByLabel('Steps', { exact: true }).inputValue()).toBe('1000000');
    expect(await page.getByLabel('Summary every', { exact: true }).inputValue()).toBe('50');
    expect(await page.getByLabel('Sample length', { exact: true }).inputValue()).toBe('30');
    // The chart holds the run from its first summary, not from the reload.
    expect(await page.getByLabel('Loss chart').textContent()).toMatch(
      /^Loss from step 50 to step /,
    );
    expect(
      await page.getByRole('list', { name: 'Samples' }).getByRole('listitem').count(),
    ).toBeGreaterThanOrEqual(4);
    expect(
      await page
        .getByRole('list', { name: 'Checkpoints' })
        .getByRole('listitem')
        .filter({ hasText: /^step \d/ })
        .count(),
    ).toBeGreaterThanOrEqual(1);
    await screenshot(page, 'e2e-reloaded-during-run');

    await stopButton(page).click();
    await waitForStatus(page, /^Stopped at step/, 30_000);
    await expect.poll(() => page.locator('#start-blocker').textContent()).toBe('');
    await expect
      .poll(() => page.getByRole('button', { name: 'Start training' }).isEnabled())
      .toBe(true);
    expect(problems).toEqual([]);
  });

  test('the prime is part of the generated text, of Copy and of Save', async () => {
    const { page, problems } = await openApp(browser(), appUrl);
    await page
      .context()
      .grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(appUrl).origin });
    await trainSmallModel(page, 200);
    const text = await generate(page, 5, 60, 'The cat');
    expect(text.startsWith('The cat')).toBe(true);
    expect([...text].length).toBe(67);

    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await expect.poll(() => page.evaluate<string>('navigator.clipboard.readText()')).toBe(text);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const file = await (await download).path();
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(problems).toEqual([]);
  });
});
