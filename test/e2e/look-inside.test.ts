/**
 * "Look inside" in real headless Chromium against browser mode and the real engine: open a
 * saved model (the hand-planted quote model), open the pane, read a text, pick the top
 * cell for "inside quotes", and see the text coloured by it — checked in the canvas's
 * pixels (red inside the quotes, blue outside) and in a screenshot; hovering a character
 * shows its value and the model's guesses; the surprise and gate views draw.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { saveModel } from '../../src-main/model';
import { PLANTED_CELL, PLANTED_LAYER, plantedQuoteSnapshot } from '../helpers/planted-model';
import { launchBrowser, openApp, screenshot } from './browser';
import { showTab } from './steps';

const appUrl = inject('appUrl');
const work = mkdtempSync(path.join(os.tmpdir(), 'lstm-studio-e2e-inside-'));
let browser: Browser;
let modelPath: string;

const TEXT = 'a b "ab ba" b a. ab "a b" ba\nb a "b ab a" ab. a "ba" b\n'.repeat(3);

beforeAll(async () => {
  browser = await launchBrowser();
  modelPath = path.join(work, 'planted-quotes.lstm');
  await saveModel(modelPath, plantedQuoteSnapshot());
});

afterAll(async () => {
  await browser?.close();
});

describe('Look inside in the browser', () => {
  test('opens a saved model, finds the quote cell, and colours the text by it', async () => {
    const { page, problems } = await openApp(browser, appUrl);
    const pane = await showTab(page, 'Look inside');

    const chooser = page.waitForEvent('filechooser');
    await pane.getByRole('button', { name: 'Choose model file…' }).click();
    await (await chooser).setFiles(modelPath);
    await expect.poll(() => pane.getByText('planted-quotes.lstm').count()).toBe(1);
    await pane.getByLabel('Text to look inside with').fill(TEXT);
    await pane.getByRole('button', { name: 'Look inside', exact: true }).click();

    // The ranking: the planted cell is the top cell for "inside quotes"; one click opens it.
    const top = pane
      .getByRole('region', { name: 'Find interesting cells' })
      .getByRole('button', { name: /^Inside quotes: layer \d+ cell \d+/ })
      .first();
    await top.waitFor({ timeout: 60_000 });
    expect(await top.getAttribute('aria-label')).toMatch(
      new RegExp(`^Inside quotes: layer ${PLANTED_LAYER} cell ${PLANTED_CELL}, \\|r\\| 0\\.9\\d$`),
    );
    await pane.getByLabel('Layer', { exact: true }).selectOption('1');
    await top.click();
    const canvas = pane.getByLabel(`Text coloured by layer ${PLANTED_LAYER} cell ${PLANTED_CELL}`, {
      exact: true,
    });
    await canvas.waitFor();

    // The pixels: the middle of each character's cell, red inside quotes, blue outside
    // (tanh c ≈ ±0.7 on the diverging scale), white before the first quote (c = 0).
    const colours = await canvas.evaluate((element, text) => {
      // The node project has no DOM types: the little of a canvas used here.
      const canvasElement = element as unknown as {
        width: number;
        clientWidth: number;
        dataset: Record<string, string>;
        getContext(kind: '2d'): { getImageData(...box: number[]): { data: Uint8ClampedArray } };
      };
      const context = canvasElement.getContext('2d');
      const ratio = canvasElement.width / canvasElement.clientWidth;
      const charWidth = Number(canvasElement.dataset.charWidth);
      const pad = Number(canvasElement.dataset.padding);
      // The first line only (it is shorter than the canvas is wide): column = index.
      const line = text.split('\n')[0];
      return Array.from(line, (_, column) => {
        // The middle of the cell's top row: background, above any glyph.
        const x = Math.round((pad + (column + 0.5) * charWidth) * ratio);
        const y = Math.round((pad + 0.5) * ratio);
        const [r, g, b] = context.getImageData(x, y, 1, 1).data;
        return { r, g, b };
      });
    }, TEXT);
    const firstLine = TEXT.split('\n')[0];
    let inside = false;
    let seenQuote = false;
    Array.from(firstLine).forEach((char, t) => {
      if (char === '"') {
        inside = !inside;
        seenQuote = true;
      }
      const { r, b } = colours[t];
      if (!seenQuote) expect(Math.abs(r - b), `character ${t}`).toBeLessThan(10);
      else if (inside) expect(r - b, `character ${t} (inside)`).toBeGreaterThan(60);
      else expect(b - r, `character ${t} (outside)`).toBeGreaterThan(60);
    });

    // Hovering a character shows its value and what the model guessed next.
    const box = (await canvas.boundingBox())!;
    const charWidth = Number(await canvas.getAttribute('data-char-width'));
    await page.mouse.move(box.x + 6 + 6.5 * charWidth, box.y + 6 + 9);
    await expect.poll(() => pane.getByRole('tooltip').textContent()).toMatch(/value -?\d\.\d{3}/);
    expect(await pane.getByRole('tooltip').textContent()).toContain('next, the model guessed:');

    // Arrow keys move to the next cell.
    await pane.getByRole('group', { name: 'Cell view: arrow keys change the cell' }).focus();
    await page.keyboard.press('ArrowRight');
    await pane
      .getByLabel(`Text coloured by layer ${PLANTED_LAYER} cell ${PLANTED_CELL + 1}`, {
        exact: true,
      })
      .waitFor();
    await page.keyboard.press('ArrowLeft');
    await canvas.waitFor();
    await page.mouse.move(0, 0);

    const file = await screenshot(page, 'e2e-look-inside-cell');
    expect((await canvas.screenshot()).length).toBeGreaterThan(2000);
    expect(file).toMatch(/\.png$/);

    await pane.getByRole('tab', { name: 'Surprise' }).click();
    await pane.getByLabel('Text coloured by surprise').waitFor();
    await expect.poll(() => pane.locator('.worst li').count()).toBeGreaterThan(5);
    await screenshot(page, 'e2e-look-inside-surprise');
    await pane.getByRole('tab', { name: 'Gate saturation' }).click();
    await pane.getByLabel('Forget gate saturation').waitFor();
    await screenshot(page, 'e2e-look-inside-gates');
    expect(problems).toEqual([]);
  });
});
