/**
 * "Train for" in real Chromium against browser mode and the real engine: a custom time
 * that does not read keeps Start disabled with its one line; "5s" on a tiny corpus trains,
 * the progress bar and its text show time, and the run ends with a summary by time. And
 * the form's time estimate comes from this machine once a corpus is open.
 */
import { describe, expect, test } from 'vitest';
import { openApp, screenshot } from './browser';
import { e2eBrowser, openCorpus, startTraining, waitForStatus, writeTinyCorpus } from './steps';

const { appUrl, browser } = e2eBrowser();

describe('Train for a time', () => {
  test('a custom "5s" trains by time: the bar and the end summary show it', async () => {
    const { page, problems } = await openApp(browser(), appUrl);
    await openCorpus(page, writeTinyCorpus('time-corpus.txt'));
    const form = page.getByRole('region', { name: 'Hyperparameters' });
    await form.getByLabel('Train for', { exact: true }).selectOption({ label: 'Custom…' });
    const time = form.getByRole('textbox', { name: 'Time' });
    const start = page.getByRole('button', { name: 'Start training' });

    await time.fill('soon');
    const problem = 'Not a duration: "soon" (write it like 60s, 10m, 1h30m or 90)';
    await expect.poll(() => form.getByText(problem, { exact: true }).count()).toBe(1);
    expect(await time.getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => start.isDisabled()).toBe(true);

    await time.fill('5s');
    expect(await time.getAttribute('aria-invalid')).toBeNull();
    // Steps is then only the schedule's length, and the form says so.
    await expect
      .poll(() => form.getByRole('spinbutton', { name: 'Schedule steps' }).count())
      .toBe(1);
    await expect.poll(() => form.getByText(/^Ends after 5 s: ≈ [\d,]+ steps/).count()).toBe(1);
    await startTraining(page);

    const dashboard = page.getByRole('region', { name: 'Training' });
    const bar = dashboard.getByRole('progressbar', { name: 'Training time' });
    await bar.waitFor({ timeout: 30_000 });
    // While it runs: time trained of 5 s, the step and the time left.
    await expect
      .poll(() => dashboard.locator('.progress-text').textContent(), { timeout: 30_000 })
      .toMatch(/^\d+ s \/ 5 s · step [\d,]+ · [\d.]+ steps\/s · \d+ s left$/);
    await waitForStatus(page, /^Finished$/, 60_000);
    await expect
      .poll(() => dashboard.locator('#training-summary').textContent())
      .toMatch(
        /^Trained [\d,]+ steps in \d+ s of 5 s \([\d.]+ steps\/s\); best [\d.]+ bits\/char at step [\d,]+\.$/,
      );
    expect(Number(await bar.getAttribute('value'))).toBeGreaterThan(0);
    await screenshot(page, 'e2e-time-budget');
    expect(problems).toEqual([]);
  });

  test('with a corpus open, the time estimate is timed on this machine', async () => {
    const { page, problems } = await openApp(browser(), appUrl);
    const form = page.getByRole('region', { name: 'Hyperparameters' });
    await openCorpus(page, writeTinyCorpus('estimate-corpus.txt'));
    // The seed preset's shape takes milliseconds a step: the engine times a few real steps.
    await expect
      .poll(() => form.getByText('(timed on this machine)', { exact: true }).count(), {
        timeout: 30_000,
      })
      .toBe(1);
    await expect.poll(() => form.getByText(/^≈ .+ for 7,001 steps$/).count()).toBe(1);
    expect(problems).toEqual([]);
  });
});
