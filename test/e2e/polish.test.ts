/**
 * The window's polish, in real Chromium: help at the hard words and the guide, the
 * generator's count, stop, keys, prime check, alternatives and field errors, browser
 * mode's export downloads and folder picking, the theme switch, and focus that stays put
 * when a button goes away.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { openApp, screenshot } from './browser';
import {
  openCorpus,
  setRun,
  trainSmallModel,
  waitForStatus,
  work,
  writeTinyCorpus,
  e2eBrowser,
  showTab,
} from './steps';

const { appUrl, browser } = e2eBrowser();

/** What has keyboard focus ("button:Pause"): "body" when nothing does. */
function focused(page: Page): Promise<string> {
  return page.evaluate<string>(`(() => {
    const active = document.activeElement;
    if (!active || active === document.body) return 'body';
    const name = active.getAttribute('aria-label') ?? active.textContent.trim();
    return active.tagName.toLowerCase() + ':' + name;
  })()`);
}

describe('polish', () => {
  test('a "?" explains each hard word in one sentence and opens the guide there, by keyboard', async () => {
    const { page, problems } = await openApp(browser(), appUrl);
    for (const topic of [
      'unrollings',
      'forget-gate bias',
      'clip to global norm',
      'warm-up',
      'dropout',
      'temperature',
    ]) {
      await expect
        .poll(() => page.getByRole('button', { name: `What is ${topic}?` }).count())
        .toBe(1);
    }
    const help = page.getByRole('button', { name: 'What is unrollings?' });
    await help.focus();
    await page.keyboard.press('Enter');
    const note = page.getByRole('note').filter({ hasText: 'How many characters' });
    await note.waitFor();
    expect(await help.getAttribute('aria-expanded')).toBe('true');
    expect(await note.textContent()).toMatch(
      /^How many characters the network reads in one go before it learns from its mistakes: the length over which the gradient flows back in time\.\s*More in the guide$/,
    );
    await screenshot(page, 'e2e-help-unrollings');
    await page.keyboard.press('Escape');
    await note.waitFor({ state: 'hidden' });
    expect(await focused(page)).toBe('button:What is unrollings?');

    // The guide opens at the section the help was about; Escape closes it.
    await page.keyboard.press('Enter');
    await note.getByRole('button', { name: 'More in the guide' }).click();
    const guide = page.getByRole('dialog', { name: 'Hyperparameters, explained' });
    await guide.waitFor();
    const heading = guide.getByRole('heading', { name: 'Unrollings' });
    // In view, below the dialog's title bar, near the top.
    const bar = (await guide.getByRole('button', { name: 'Close' }).boundingBox())!;
    const [dialogBox, headingBox] = [await guide.boundingBox(), await heading.boundingBox()];
    expect(headingBox!.y).toBeGreaterThanOrEqual(bar.y + bar.height);
    expect(headingBox!.y).toBeLessThan(dialogBox!.y + dialogBox!.height / 2);
    await screenshot(page, 'e2e-guide');
    await page.keyboard.press('Escape');
    await guide.waitFor({ state: 'hidden' });
    expect(problems).toEqual([]);
  });

  test('the generator counts, stops, generates on Enter, flags the prime and marks bad fields', async () => {
    const { page, problems } = await openApp(browser(), appUrl);
    await trainSmallModel(page, 200);
    await showTab(page, 'Generator');
    const panel = page.getByRole('tabpanel', { name: 'Generator' });
    const length = panel.getByRole('spinbutton', { name: /^Length/ });

    // A bad field is marked invalid, with its problem as its description.
    await length.fill('0');
    expect(await length.getAttribute('aria-invalid')).toBe('true');
    expect(await panel.locator('#generator-length-note').textContent()).toBe(
      'Length must be a whole number from 1 to 100,000',
    );
    expect(await panel.getByRole('button', { name: 'Generate' }).isEnabled()).toBe(false);
    await length.fill('100000');
    expect(await length.getAttribute('aria-invalid')).toBeNull();

    // Characters the model does not know are named at the prime, before generating.
    const prime = panel.getByLabel('Prime text');
    await prime.fill('The cat@ #7');
    expect(await panel.locator('#generator-prime-note').textContent()).toMatch(
      /^\s*Not in the model’s vocabulary \(skipped\): @ # 7\s*$/,
    );
    await prime.fill('The cat');

    // Enter in the prime generates; the count runs; Stop ends it short and says where.
    await prime.press('Enter');
    const count = panel.locator('.count');
    await expect
      .poll(() => count.textContent(), { timeout: 30_000 })
      .toMatch(/^[\d,]+ \/ 100,000 characters$/);
    await panel.getByRole('button', { name: 'Stop' }).click();
    await expect
      .poll(() => count.textContent(), { timeout: 30_000 })
      .toMatch(/^Stopped at [\d,]+ characters$/);
    const stoppedAt = Number((await count.textContent())!.match(/[\d,]+/)![0].replace(/,/g, ''));
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(100_000);
    const output = page.getByRole('textbox', { name: 'Generated text', exact: true });
    expect([...((await output.textContent()) ?? '')].length).toBe(7 + stoppedAt);

    // Ctrl+Enter generates too.
    await length.fill('80');
    await prime.focus();
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => count.textContent(), { timeout: 30_000 }).toBe('80 characters');

    // The alternatives strip is labelled and sits right under the character it explains.
    const character = output.locator('span[data-index="12"]');
    await character.hover();
    const strip = page.getByRole('group', {
      name: 'Alternatives the model weighed for character 13',
    });
    await strip.waitFor();
    expect(await strip.textContent()).toMatch(
      /^Character 13: “.+”, chosen at [\d.]+%\. Alternatives the model weighed:/,
    );
    const [charBox, stripBox] = [await character.boundingBox(), await strip.boundingBox()];
    expect(stripBox!.y).toBeGreaterThanOrEqual(charBox!.y + charBox!.height - 1);
    expect(stripBox!.y - (charBox!.y + charBox!.height)).toBeLessThan(8);
    expect(stripBox!.x).toBeLessThanOrEqual(charBox!.x);
    await screenshot(page, 'e2e-generator-alternatives');
    expect(problems).toEqual([]);
  });

  test('browser mode: Export offers downloads, and a folder can be picked as a corpus', async () => {
    const { page, problems } = await openApp(browser(), appUrl);
    await trainSmallModel(page, 100);
    await showTab(page, 'Models');
    await page.getByRole('button', { name: 'Export for TF.js' }).click();
    const link = page.getByRole('link', { name: 'download model.json' });
    await link.waitFor({ timeout: 30_000 });
    // The link downloads, as a click in the page does it.
    const download = page.waitForEvent('download');
    await link.click();
    const saved = await (await download).path();
    expect(JSON.parse(readFileSync(saved, 'utf8')) as object).toHaveProperty('modelTopology');
    expect(await page.getByRole('link', { name: /^download .+\.bin$/ }).count()).toBe(1);

    const folder = path.join(work, 'Letters');
    mkdirSync(path.join(folder, 'older'), { recursive: true });
    writeFileSync(
      path.join(folder, 'one.txt'),
      'Dear friend, the rain has stopped at last. '.repeat(40),
    );
    writeFileSync(
      path.join(folder, 'older', 'two.txt'),
      'My dear, the garden is green again. '.repeat(40),
    );
    writeFileSync(path.join(folder, '.hidden'), 'not a letter');
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Open folder…' }).click();
    await (await chooser).setFiles(folder);
    await expect
      .poll(() => page.locator('.report h3.name').textContent(), { timeout: 30_000 })
      .toBe('Letters');
    await page.locator('summary', { hasText: /^Files \(/ }).click();
    const files = page.locator('.files li');
    expect(await files.count()).toBe(2);
    const names = (await files.locator('.file-name').allTextContents()).sort();
    expect(names).toEqual(['older/two.txt', 'one.txt']);
    expect(problems).toEqual([]);
  });

  test('a theme switch, remembered; focus stays when a button goes away', async () => {
    const { page, problems } = await openApp(browser(), appUrl);
    const themeSelect = page.getByLabel('Theme');
    await themeSelect.selectOption('dark');
    await expect
      .poll(() => page.evaluate<string>('document.documentElement.dataset.theme'))
      .toBe('dark');
    const background = () =>
      page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    expect(await background()).toBe('rgb(18, 20, 24)');
    await page.reload();
    await page.getByLabel('Preset').locator('option').first().waitFor({ state: 'attached' });
    expect(await page.getByLabel('Theme').inputValue()).toBe('dark');
    expect(await background()).toBe('rgb(18, 20, 24)');
    await page.getByLabel('Theme').selectOption('light');
    expect(await background()).toBe('rgb(244, 245, 247)');
    await page.getByLabel('Theme').selectOption('system');

    // Start by keyboard: the button disables itself, and focus moves on, not to the body.
    await openCorpus(page, writeTinyCorpus());
    await setRun(page, { steps: 1_000_000, summaryEvery: 50 });
    const start = page.getByRole('button', { name: 'Start training' });
    await expect.poll(() => start.isEnabled(), { timeout: 30_000 }).toBe(true);
    await start.focus();
    await page.keyboard.press('Enter');
    await waitForStatus(page, /^Training: step/, 30_000);
    await expect.poll(() => focused(page)).toBe('button:Pause');
    await page.keyboard.press('Enter');
    await waitForStatus(page, /^Paused at step/, 30_000);
    // The focus keeper moves focus on the tick after the button goes: poll, not a snapshot.
    await expect.poll(() => focused(page)).not.toBe('body');
    const stop = page
      .getByRole('region', { name: 'Training' })
      .getByRole('button', { name: 'Stop' });
    await stop.focus();
    await page.keyboard.press('Enter');
    await waitForStatus(page, /^Stopped at step/, 30_000);
    await expect.poll(() => focused(page)).not.toBe('body');

    // A dismissed alert takes its button away: focus goes to what is left, not the body.
    const bad = path.join(work, 'not-a-model.lstm');
    writeFileSync(bad, 'not a model');
    await showTab(page, 'Models');
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Open model' }).click();
    await (await chooser).setFiles(bad);
    const dismiss = page.getByRole('button', { name: 'Dismiss message' });
    await dismiss.waitFor({ timeout: 30_000 });
    await dismiss.focus();
    await page.keyboard.press('Enter');
    await dismiss.waitFor({ state: 'detached' });
    expect(await focused(page)).not.toBe('body');
    expect(problems).toEqual([]);
  });
});
