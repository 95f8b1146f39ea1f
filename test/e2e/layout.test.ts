/**
 * The window at 1440, 1024 and 800 px wide, after a real run on the sample corpus with
 * everything unfolded: nothing cut, nothing overlapping, no sideways scrolling, the columns
 * stacked when narrow (screenshots in test-results/). Also: the samples box shows several
 * samples, "Open sample corpus" stays available, and each initial-weights choice fits.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { openApp, RESULTS_DIR } from './browser';
import { layoutProblems } from './layout';
import { generate, setRun, startTraining, waitForStatus, e2eBrowser, showTab } from './steps';

const { appUrl, browser } = e2eBrowser();

/** Layout problems with each column scrolled through (overlaps are judged where seen). */
async function problemsScrolledThrough(page: Page): Promise<string[]> {
  const found = new Set<string>();
  const columns = page.locator('main > .left, main > .right');
  const heights = await columns.evaluateAll((elements) =>
    elements.map((element) => ({ total: element.scrollHeight, view: element.clientHeight })),
  );
  const longest = Math.max(...heights.map((h) => h.total - h.view), 0);
  const stride = Math.max(200, Math.min(...heights.map((h) => h.view)) - 80);
  for (let top = 0; ; top += stride) {
    await columns.evaluateAll((elements, y) => elements.forEach((e) => e.scrollTo(0, y)), top);
    for (const problem of await layoutProblems(page)) found.add(problem);
    if (top >= longest) break;
  }
  await columns.evaluateAll((elements) => elements.forEach((e) => e.scrollTo(0, 0)));
  return [...found];
}

describe('the window at 800, 1024 and 1440 px', () => {
  test('nothing is cut or overlapping, the columns stack when narrow', async () => {
    const { page, problems } = await openApp(browser(), appUrl);
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.getByRole('button', { name: 'Open sample corpus' }).click();
    await expect
      .poll(() => page.locator('.report h3.name').textContent(), { timeout: 60_000 })
      .toBe('king-james-bible.zip');
    // The sample button stays, for opening it again with other options.
    expect(await page.getByRole('button', { name: 'Open sample corpus' }).isEnabled()).toBe(true);

    await setRun(page, {
      steps: 300,
      summaryEvery: 50,
      sampleEvery: 100,
      samples: 5,
      sampleLength: 50,
      checkpointEvery: 100,
    });
    await startTraining(page);
    await waitForStatus(page, /^Finished$/);
    // Length 300 must show whole: the generator's fields were too narrow for it.
    await generate(page, 3, 300, 'And God said');

    // The samples box shows several samples at once, not one or two.
    const box = page.getByRole('list', { name: 'Samples' });
    const fullyShown = await box.evaluate((list) => {
      const frame = list.getBoundingClientRect();
      return [...list.children].filter((item) => {
        const rect = item.getBoundingClientRect();
        return rect.top >= frame.top - 0.5 && rect.bottom <= frame.bottom + 0.5;
      }).length;
    });
    expect(fullyShown).toBeGreaterThanOrEqual(4);

    // Unfold everything that folds.
    for (const summary of ['Vocabulary limits', 'Files (', 'Reporting and checkpoints']) {
      const details = page.locator('details', {
        has: page.locator('summary', { hasText: summary }),
      });
      if ((await details.getAttribute('open')) === null)
        await details.locator('summary').first().click();
    }

    for (const width of [1440, 1024, 800]) {
      await page.setViewportSize({ width, height: 900 });
      for (const tab of ['Generator', 'Models', 'Runs', 'Compare runs', 'Look inside']) {
        await showTab(page, tab);
        await page.mouse.move(0, 0);
        expect(await problemsScrolledThrough(page), `${width} px, ${tab}`).toEqual([]);
        await page.screenshot({
          path: path.join(
            RESULTS_DIR,
            `e2e-layout-${width}-${tab.split(' ')[0]!.toLowerCase()}.png`,
          ),
          fullPage: width < 960,
        });
      }
      await showTab(page, 'Generator');
      const left = (await page.locator('main > .left').boundingBox())!;
      const right = (await page.locator('main > .right').boundingBox())!;
      if (width < 960) {
        // Stacked: the dashboard under the corpus and form, as wide as they are.
        expect(right.x).toBe(left.x);
        expect(right.y).toBeGreaterThanOrEqual(left.y + left.height);
        expect(right.width).toBe(left.width);
      } else {
        expect(right.x).toBeGreaterThanOrEqual(left.x + left.width);
        expect(right.y).toBe(left.y);
      }
      // "Compare temperatures" keeps its words on one line, beside Generate.
      const compare = (await page
        .getByRole('checkbox', { name: /^Compare temperatures/ })
        .locator('..')
        .boundingBox())!;
      expect(compare.height).toBeLessThan(30);
      expect(await page.getByRole('spinbutton', { name: /^Length/ }).inputValue()).toBe('300');
    }

    // Each initial-weights choice fits its select (at the narrowest two-column width).
    await page.setViewportSize({ width: 1024, height: 900 });
    const init = page.getByLabel('Initial weights');
    for (const option of ['glorot', 'tutorial', 'uniform'] as const) {
      await init.selectOption(option === 'glorot' ? { label: 'Glorot (default)' } : option);
      const cut = (await layoutProblems(page)).filter((problem) => problem.includes('<select'));
      expect(cut).toEqual([]);
    }
    expect(problems).toEqual([]);
  });
});
