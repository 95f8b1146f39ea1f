/**
 * The run library, Compare runs, the charts and resuming a finished model, in real
 * Chromium against a browser-mode server of this file's own (so it can be restarted): the
 * runs and their names are there after a page reload and after the server restarts; a
 * checkpoint generates, saves (as a download) and resumes — asking for its corpus, which
 * browser mode's upload went away with the old server; a run is deleted; the charts zoom with chartjs-plugin-zoom and export their metrics.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, openApp, screenshot } from './browser';
import { startServer, stop } from './global-setup';
import { showTab } from './steps';

const work = mkdtempSync(path.join(os.tmpdir(), 'lstm-studio-e2e-runs-'));
const dataDir = path.join(work, 'data');
let browser: Browser;
let server: { child: ChildProcess; url: string };

beforeAll(async () => {
  browser = await launchBrowser();
  server = await startServer(dataDir);
});

afterAll(async () => {
  await browser?.close();
  if (server) await stopServer();
  rmSync(work, { recursive: true, force: true });
});

async function stopServer(): Promise<void> {
  const exited = new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
  stop(server.child);
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000));
  if ((await Promise.race([exited, timeout])) === 'timeout') stop(server.child, 'SIGKILL');
}

/** About 9 000 characters of a few sentences. */
function corpusFile(): string {
  const file = path.join(work, 'runs-corpus.txt');
  if (!existsSync(file)) {
    writeFileSync(
      file,
      'The cat sat on the mat. A dog ran in the park. Rain fell on the town all night. '.repeat(
        110,
      ),
    );
  }
  return file;
}

const corpusOpened = new WeakSet<Page>();

/** Opens the corpus (once per page) and trains a short run to its end. */
async function train(page: Page, steps: number, learningRate: number): Promise<void> {
  if (!corpusOpened.has(page)) {
    await page.getByLabel('Open corpus', { exact: true }).setInputFiles(corpusFile());
    await page
      .getByRole('button', { name: 'Start training' })
      .and(page.locator(':enabled'))
      .waitFor({ timeout: 30_000 });
    await page.locator('summary', { hasText: 'Reporting and checkpoints' }).click();
    corpusOpened.add(page);
  }
  await page.getByLabel('Steps', { exact: true }).fill(String(steps));
  await page.getByLabel('Learning rate', { exact: true }).fill(String(learningRate));
  await page.getByLabel('Summary every', { exact: true }).fill('50');
  await page.getByLabel('Samples every', { exact: true }).fill('1000');
  const start = page.getByRole('button', { name: 'Start training' });
  await expect.poll(() => start.isEnabled()).toBe(true);
  await start.click();
  await page
    .getByRole('status')
    .filter({ hasText: /^Finished$/ })
    .waitFor({ timeout: 90_000 });
}

const runItems = (page: Page) =>
  page.getByRole('list', { name: 'Runs', exact: true }).locator(':scope > li');

/** What the library and the comparison show: run names, and the settings that differ. */
async function libraryAndComparison(page: Page): Promise<{
  runs: string[];
  sizes: string[];
  compared: string[];
  differing: string[];
}> {
  await showTab(page, 'Runs');
  await expect.poll(() => runItems(page).count(), { timeout: 30_000 }).toBeGreaterThan(0);
  const runs = await runItems(page).locator('.name').allTextContents();
  const sizes = await runItems(page).locator('.size').allTextContents();
  await showTab(page, 'Compare runs');
  const table = page.getByRole('table', { name: 'Compared runs' });
  const rows = table.locator('tbody tr');
  await expect.poll(() => rows.count()).toBe(runs.length);
  const differ = page.getByRole('table', { name: 'Hyperparameters that differ' });
  await expect
    .poll(() => differ.locator('tbody th').count(), { timeout: 10_000 })
    .toBeGreaterThan(0);
  return {
    runs,
    sizes,
    compared: await rows.locator('td.name').allTextContents(),
    differing: await differ.locator('tbody th').allTextContents(),
  };
}

describe('runs in the browser', () => {
  test('the run library and the comparison are there after a reload and after a restart', async () => {
    const { page, problems } = await openApp(browser, server.url);
    await train(page, 150, 10);
    await train(page, 200, 5);

    const first = await libraryAndComparison(page);
    expect(first.runs).toHaveLength(2);
    expect(first.runs.every((name) => name.startsWith('runs-corpus.txt · 1×64 sgd · '))).toBe(true);
    expect(first.sizes.every((size) => /^\d+(\.\d)? KiB$/.test(size.trim()))).toBe(true);
    expect(first.differing).toEqual(['Steps', 'Learning rate']);
    // The table has the metrics and training time of each run.
    const cells = await page
      .getByRole('table', { name: 'Compared runs' })
      .locator('tbody tr')
      .first()
      .locator('td.num')
      .allTextContents();
    expect(cells[0]).toBe('200');
    expect(cells[1]).toMatch(/^\d+ s$/);
    expect(cells.slice(2, 4).every((cell) => /^\d+(\.\d+)?$/.test(cell))).toBe(true);
    expect(cells[4]).toMatch(/^\d+(\.\d+)? @ \d+$/);

    // Name the older run, in the comparison table: it is stored with the run.
    await page.getByRole('button', { name: `Rename ${first.runs[1]}` }).click();
    await page.getByRole('textbox', { name: `Name of ${first.runs[1]}` }).fill('baseline, lr 10');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect
      .poll(() =>
        page.getByRole('table', { name: 'Compared runs' }).locator('td.name').allTextContents(),
      )
      .toEqual([first.runs[0], 'baseline, lr 10']);
    await screenshot(page, 'e2e-runs-1-compare');
    await showTab(page, 'Runs');
    await screenshot(page, 'e2e-runs-2-library');

    // A reload: the page starts from nothing and finds everything again.
    await page.reload();
    await page.getByLabel('Preset').locator('option').first().waitFor({ state: 'attached' });
    const reloaded = await libraryAndComparison(page);
    expect(reloaded.runs).toEqual([first.runs[0], 'baseline, lr 10']);
    expect(reloaded.compared).toEqual([first.runs[0], 'baseline, lr 10']);
    expect(reloaded.differing).toEqual(['Steps', 'Learning rate']);

    // A restart of browser mode: a new server and engine on the same data folder. (The old
    // page would only log its reconnection attempts against the stopped server.)
    await page.context().close();
    await stopServer();
    server = await startServer(dataDir);
    const { page: after, problems: afterProblems } = await openApp(browser, server.url);
    const restarted = await libraryAndComparison(after);
    expect(restarted).toEqual({ ...reloaded, sizes: reloaded.sizes });
    await screenshot(after, 'e2e-runs-3-after-restart');
    expect([...problems, ...afterProblems]).toEqual([]);
  });

  test('a checkpoint generates, saves and resumes on its run’s corpus; a run is deleted', async () => {
    const { page, problems } = await openApp(browser, server.url);
    await showTab(page, 'Runs');
    await expect.poll(() => runItems(page).count(), { timeout: 30_000 }).toBe(2);
    const newest = (await runItems(page).first().locator('.name').textContent()) ?? '';

    // Open the newest run: its model, charts and samples come back.
    await page.getByRole('button', { name: `Open ${newest}`, exact: true }).click();
    await expect
      .poll(() => page.getByRole('tab', { name: 'Models' }).getAttribute('aria-selected'))
      .toBe('true');
    await expect
      .poll(() => page.getByText('200 steps on runs-corpus.txt').count(), { timeout: 30_000 })
      .toBe(1);
    await expect.poll(() => page.getByLabel('Loss chart').textContent()).toMatch(/at step 200$/);

    // Generate from the newest run's last checkpoint.
    await showTab(page, 'Runs');
    await page.getByRole('button', { name: `Generate from step 200 of ${newest}` }).click();
    await expect
      .poll(() => page.getByRole('tab', { name: 'Generator' }).getAttribute('aria-selected'))
      .toBe('true');
    const panel = page.getByRole('tabpanel', { name: 'Generator' });
    await panel.getByRole('spinbutton', { name: /^Length/ }).fill('60');
    const generate = panel.getByRole('button', { name: 'Generate' });
    await expect.poll(() => generate.isEnabled()).toBe(true);
    await generate.click();
    const output = page.getByRole('textbox', { name: 'Generated text', exact: true });
    await expect
      .poll(async () => (await output.textContent())?.length ?? 0, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(60);

    // Save a copy of it, then download it: a .lstm is a zip.
    await showTab(page, 'Runs');
    await page.getByRole('button', { name: `Save step 200 of ${newest}` }).click();
    const link = page.getByRole('link', { name: 'download' });
    await link.waitFor({ timeout: 30_000 });
    expect(await page.getByText(/^Checkpoint saved as/).textContent()).toMatch(/step200\.lstm/);
    const downloading = page.waitForEvent('download');
    await link.click();
    const download = await downloading;
    const saved = path.join(work, 'downloaded.lstm');
    await download.saveAs(saved);
    expect(readFileSync(saved).subarray(0, 2).toString('latin1')).toBe('PK');

    // Resume it. Browser mode deleted its uploads when it stopped, so the corpus the run
    // recorded is gone: the library says so, and the resume asks for the corpus by name.
    expect(await runItems(page).first().locator('.details').textContent()).toContain(
      'its corpus file is gone',
    );
    await page.getByRole('button', { name: `Resume from step 200 of ${newest}` }).click();
    const form = page.getByRole('form', { name: 'Resume training' });
    await form.waitFor({ timeout: 30_000 });
    await expect
      .poll(() => form.locator('.summary').textContent())
      .toMatch(
        /Train 100 more steps, to step 300\.\s+It needs runs-corpus\.txt, the corpus it was trained on: open that corpus to resume\./,
      );
    // The steps field has the cursor; training waits for the corpus.
    expect(await form.locator('input:focus').inputValue()).toBe('100');
    expect(await form.getByRole('button', { name: 'Train to step 300' }).isDisabled()).toBe(true);
    await screenshot(page, 'e2e-runs-4-resume-needs-corpus');
    const chooser = page.waitForEvent('filechooser');
    await form.getByRole('button', { name: 'Open runs-corpus.txt…' }).click();
    await (await chooser).setFiles(corpusFile());
    // The same text: the plan now trains on it.
    await expect
      .poll(() => form.locator('.summary').textContent(), { timeout: 30_000 })
      .toMatch(/On runs-corpus\.txt, the corpus it was trained on\.$/);
    await form.getByRole('spinbutton').fill('50');
    await screenshot(page, 'e2e-runs-4-resume');
    await form.getByRole('button', { name: 'Train to step 250' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /^Finished$/ })
      .waitFor({ timeout: 90_000 });
    await expect.poll(() => page.getByText('Step 250 / 250', { exact: false }).count()).toBe(1);

    // The resumed run is a run of its own; delete the oldest.
    await showTab(page, 'Runs');
    await expect.poll(() => runItems(page).count(), { timeout: 30_000 }).toBe(3);
    await page.getByRole('button', { name: 'Delete baseline, lr 10' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete baseline, lr 10?' });
    expect(await confirm.textContent()).toMatch(/This frees \d+(\.\d)? KiB and cannot be undone/);
    await confirm.getByRole('button', { name: 'Delete run' }).click();
    await expect.poll(() => runItems(page).count()).toBe(2);
    expect(await runItems(page).locator('.name').allTextContents()).not.toContain(
      'baseline, lr 10',
    );

    // Retention: keep one checkpoint per ended run.
    const retention = page.getByRole('form', { name: 'Checkpoint retention' });
    await retention.getByRole('spinbutton').first().fill('1');
    await retention.getByRole('button', { name: 'Apply' }).click();
    await expect
      .poll(() => retention.getByRole('status').textContent())
      .toMatch(/^(Nothing to remove|Removed \d+ checkpoint files?, freed .+)\.$/);
    await screenshot(page, 'e2e-runs-5-library-after');

    // Narrow windows: the library and the comparison fit their pane (tables scroll inside).
    await page.setViewportSize({ width: 800, height: 900 });
    for (const name of ['Runs', 'Compare runs']) {
      await showTab(page, name);
      const overflow = await page
        .getByRole('tabpanel', { name })
        .evaluate((panel) => panel.scrollWidth - panel.clientWidth);
      expect(overflow, name).toBe(0);
      await screenshot(page, `e2e-runs-8-${name === 'Runs' ? 'library' : 'compare'}-800`);
    }
    expect(problems).toEqual([]);
  });

  test('charts: bits per character, zoom and reset, metrics export, training time, frequency log', async () => {
    const { page, problems } = await openApp(browser, server.url);
    await train(page, 300, 10);
    expect(await page.getByRole('heading', { name: 'Bits per character' }).count()).toBe(1);
    expect(await page.getByRole('radio', { name: 'bits/char' }).isChecked()).toBe(true);

    // Zoom by dragging a box on the loss chart (chartjs-plugin-zoom), then reset.
    const chart = page.getByLabel('Loss chart');
    const box = (await chart.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.8, { steps: 8 });
    await page.mouse.up();
    const reset = page.getByRole('button', { name: 'Reset zoom of Loss chart' });
    await reset.waitFor({ timeout: 5_000 });
    await screenshot(page, 'e2e-runs-6-zoomed');
    await reset.click();
    await expect.poll(() => reset.count()).toBe(0);

    // The metrics, as CSV and as JSON downloads: one row per summary (every 50 steps).
    const csvDownload = page.waitForEvent('download');
    await page
      .getByRole('group', { name: 'Training charts options' })
      .getByRole('button', { name: 'Export CSV' })
      .click();
    const csv = readFileSync((await (await csvDownload).path())!, 'utf8').split('\r\n');
    expect(csv[0]).toBe(
      'run,step,training_seconds,loss,learning_rate,steps_per_sec,validation_bits_per_char,validation_perplexity,minibatch_perplexity',
    );
    expect(csv.slice(1, -1).map((line) => line.split(',')[1])).toEqual([
      '50',
      '100',
      '150',
      '200',
      '250',
      '300',
    ]);
    const jsonDownload = page.waitForEvent('download');
    await page
      .getByRole('group', { name: 'Training charts options' })
      .getByRole('button', { name: 'Export JSON' })
      .click();
    const json = JSON.parse(readFileSync((await (await jsonDownload).path())!, 'utf8'));
    expect(json.runs[0].rows).toHaveLength(6);

    // Training time on x, smoothing on; perplexity on its log scale.
    await page.getByLabel('Training charts x axis').selectOption('time');
    await page.getByLabel('Training charts smoothing').fill('0.8');
    await page.getByRole('radio', { name: 'perplexity (log)' }).check();
    expect(await page.getByRole('heading', { name: 'Perplexity' }).count()).toBe(1);
    // The frequency chart on a log scale, every symbol.
    await page.getByRole('checkbox', { name: 'log scale' }).check();
    await screenshot(page, 'e2e-runs-7-charts-time-log');
    expect(problems).toEqual([]);
  });
});
