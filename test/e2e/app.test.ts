/**
 * The whole app in real headless Chromium against browser mode and the real engine:
 * open a corpus and train; generate, save, reopen and regenerate identically; a hostile
 * corpus shows a readable error; a dropped corpus opens; a killed engine comes back and the
 * run resumes from its last checkpoint.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, test } from 'vitest';
import { openApp, screenshot } from './browser';
import {
  generate,
  openCorpus,
  setRun,
  startTraining,
  e2eBrowser,
  trainSmallModel,
  work,
  writeTinyCorpus,
  showTab,
} from './steps';

const dataDir = inject('dataDir');
const { appUrl, browser } = e2eBrowser();

describe('LSTM Studio in the browser', () => {
  test('opens a corpus, trains, and the charts, samples and status update', async () => {
    const { page, problems } = await openApp(browser(), appUrl);
    const lossChart = page.getByLabel('Loss chart');
    const before = await lossChart.screenshot();

    await trainSmallModel(page, 300);

    // The chart's text alternative and its pixels both follow the run.
    await expect.poll(() => lossChart.textContent()).toMatch(/at step 300$/);
    expect((await lossChart.screenshot()).equals(before)).toBe(false);
    const samples = page.getByRole('list', { name: 'Samples' }).getByRole('listitem');
    await expect.poll(() => samples.count()).toBeGreaterThanOrEqual(3);
    await expect.poll(() => samples.first().textContent()).toMatch(/^step 300/);
    await expect.poll(() => page.getByText('Step 300 / 300', { exact: false }).count()).toBe(1);
    // The finished run joins "Compare runs", shown. (The library also lists the runs other
    // tests left in this server's data folder; those that ended before this window opened
    // are not shown, and one that ends while it is open may be.)
    await showTab(page, 'Compare runs');
    const runs = page.getByRole('tabpanel', { name: 'Compare runs' });
    const shown = runs.getByRole('checkbox', {
      name: /^Show tiny-corpus\.txt · 1×64/,
      checked: true,
    });
    await expect.poll(() => shown.count()).toBeGreaterThanOrEqual(1);
    await screenshot(page, 'e2e-1-compare');
    await showTab(page, 'Generator');
    await screenshot(page, 'e2e-1-trained');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'e2e-1-trained-dark');
    expect(problems).toEqual([]);
  });

  test('generates, saves, reopens the model and gets the same text from the same seed', async () => {
    const { page, problems } = await openApp(browser(), appUrl);
    await trainSmallModel(page, 200);
    const first = await generate(page, 7, 120);
    expect(first).toHaveLength(120);

    await showTab(page, 'Models');
    await page.getByRole('button', { name: 'Save model' }).click();
    const saved = page.getByText(/^Saved step 200 as/);
    await saved.waitFor({ timeout: 30_000 });
    const savedPath = (await saved.locator('code').textContent()) ?? '';
    expect(savedPath).toMatch(/\.lstm$/);
    // The download link carries no token; the browser's own same-origin request fetches it.
    const link = page.getByRole('link', { name: 'download' });
    expect(await link.getAttribute('href')).not.toContain('token');
    const downloading = page.waitForEvent('download');
    await link.click();
    const downloaded = await (await downloading).path();
    expect(readFileSync(downloaded).equals(readFileSync(savedPath))).toBe(true);

    // A fresh page knows nothing of the model: open it from the file, through the file chooser.
    const { page: fresh, problems: freshProblems } = await openApp(browser(), appUrl);
    await showTab(fresh, 'Models');
    const chooser = fresh.waitForEvent('filechooser');
    await fresh.getByRole('button', { name: 'Open model' }).click();
    await (await chooser).setFiles(savedPath);
    // Its history restores the charts and the samples.
    await expect
      .poll(() => fresh.getByLabel('Loss chart').textContent(), { timeout: 30_000 })
      .toMatch(/at step 200$/);
    await expect
      .poll(() => fresh.getByRole('list', { name: 'Samples' }).getByRole('listitem').count())
      .toBeGreaterThanOrEqual(2);

    const again = await generate(fresh, 7, 120);
    expect(again).toBe(first);

    // The per-character view: a generated character shows the alternatives it beat. (Not the
    // first: with an empty prime the model has no context there and it is drawn uniformly.)
    await fresh
      .getByRole('textbox', { name: 'Generated text', exact: true })
      .locator('span[data-index]')
      .nth(20)
      .hover();
    await expect
      .poll(() => fresh.getByRole('group', { name: /^Alternatives the model weighed/ }).count())
      .toBe(1);
    await fresh.locator('.right').evaluate((column) => column.scrollTo(0, 0));

    // A test artifact only: the README's pictures are of a real run (docs/screenshots/README.md).
    await screenshot(fresh, 'e2e-2-reopened');
    expect([...problems, ...freshProblems]).toEqual([]);
  });

  test('a hostile corpus (a corrupt zip) shows a readable one-line error', async () => {
    const { page } = await openApp(browser(), appUrl);
    // A local-file header with garbage after it and no central directory.
    const corrupt = Buffer.concat([
      Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00]),
      Buffer.alloc(200, 0xa5),
    ]);
    const file = path.join(work, 'broken.zip');
    writeFileSync(file, corrupt);
    await page.getByLabel('Open corpus').setInputFiles(file);
    const alert = page.getByRole('alert').filter({ hasText: 'Opening the corpus failed' });
    await alert.waitFor({ timeout: 30_000 });
    const message = (await alert.textContent()) ?? '';
    expect(message).toMatch(/^Opening the corpus failed: .+/);
    expect(message).not.toMatch(/\n|\bat .+:\d+:\d+|Error:/);
    // Shown, and announced, in one place: the corpus pane (not also in the window's alerts).
    expect(await page.getByText('Opening the corpus failed').count()).toBe(1);
    expect(await page.getByRole('alert').filter({ hasText: 'corpus' }).count()).toBe(1);
    // Nothing was opened: the pane shows no report of broken.zip.
    expect(await page.locator('.report h3.name', { hasText: 'broken.zip' }).count()).toBe(0);
    await screenshot(page, 'e2e-3-hostile-corpus');
  });

  test('a corpus dropped onto the window opens like a chosen one', async () => {
    const { page, problems } = await openApp(browser(), appUrl);
    const text = readFileSync(writeTinyCorpus(), 'utf8');
    await page.getByRole('group', { name: 'Corpus drop zone' }).evaluate((zone, content) => {
      // In the page: a real DataTransfer holding a File, as a drag from the desktop brings.
      const page = globalThis as unknown as {
        DataTransfer: new () => { items: { add(file: unknown): void } };
        File: new (parts: string[], name: string, options: { type: string }) => unknown;
        DragEvent: new (type: string, init: object) => Event;
      };
      const transfer = new page.DataTransfer();
      transfer.items.add(new page.File([content], 'dropped-corpus.txt', { type: 'text/plain' }));
      for (const type of ['dragenter', 'dragover', 'drop']) {
        zone.dispatchEvent(
          new page.DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }),
        );
      }
    }, text);
    await expect
      .poll(() => page.getByText('dropped-corpus.txt').count(), { timeout: 30_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(() => page.locator('#start-blocker').textContent())
      .not.toBe('Open a corpus first');
    await screenshot(page, 'e2e-4-dropped-corpus');
    expect(problems).toEqual([]);
  });

  test('a killed engine is restarted and the run resumes from its last checkpoint', async () => {
    const { page } = await openApp(browser(), appUrl);
    await openCorpus(page, writeTinyCorpus());
    await setRun(page, { steps: 1_000_000, summaryEvery: 50, checkpointEvery: 200 });
    await startTraining(page);
    const checkpoints = page.getByRole('list', { name: 'Checkpoints' }).getByRole('listitem');
    await expect
      .poll(() => checkpoints.filter({ hasText: /^step \d/ }).count(), { timeout: 60_000 })
      .toBeGreaterThan(0);

    // SIGKILL the engine process of this server (found by its data folder), mid-run.
    const engines = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          // The compiled engine the server forks (out/node/engine.js), with this data folder.
          return command.includes('/out/node/engine.js') && command.includes(dataDir);
        } catch {
          return false;
        }
      });
    expect(engines).toHaveLength(1);
    process.kill(Number(engines[0]), 'SIGKILL');

    const resume = page.getByRole('button', { name: 'Resume from last checkpoint' });
    await resume.waitFor({ timeout: 60_000 });
    // While the engine restarts the banner says so; once it is back, it names the run.
    const banner = page.getByText(
      /The engine stopped unexpectedly|The engine is restarting|A run did not finish: .+, step \d/,
    );
    expect(await banner.count()).toBeGreaterThan(0);
    await screenshot(page, 'e2e-5-engine-crashed');
    await resume.click();
    const status = page.getByRole('status').filter({ hasText: /^Training: step / });
    await status.waitFor({ timeout: 60_000 });
    // It goes on from the checkpoint (a multiple of 200), not from step 0.
    await expect
      .poll(
        async () =>
          Number(
            ((await status.textContent()) ?? '').match(/step ([\d,]+)/)?.[1]?.replace(/,/g, ''),
          ),
        { timeout: 30_000 },
      )
      .toBeGreaterThan(200);
    await page
      .getByRole('region', { name: 'Training' })
      .getByRole('button', { name: 'Stop' })
      .click();
    await page
      .getByRole('status')
      .filter({ hasText: /^Stopped at step / })
      .waitFor({ timeout: 30_000 });
  });
});
