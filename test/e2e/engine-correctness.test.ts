/**
 * The engine's resume rule and divergence check as a user meets them in the window, in
 * real Chromium against browser mode: an opened model locks the fields a resume keeps and
 * takes the others (the dashboard says what changed), and a run that diverges stops with
 * a banner that says what happened and what to try.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { openApp, screenshot } from './browser';
import {
  e2eBrowser,
  openCorpus,
  setRun,
  showTab,
  startTraining,
  waitForStatus,
  work,
} from './steps';

const { appUrl, browser } = e2eBrowser();

function writeCorpus(): string {
  const file = path.join(work, 'engine-corpus.txt');
  writeFileSync(
    file,
    'The cat sat on the mat. A dog ran in the park and the cat watched it. '.repeat(120),
  );
  return file;
}

async function setField(page: Page, label: string, value: number): Promise<void> {
  await page.getByRole('spinbutton', { name: label, exact: true }).fill(String(value));
}

describe('the engine, as the window shows it', () => {
  test('an opened model locks what a resume keeps, and the resume takes the rest', async () => {
    const { page, problems } = await openApp(browser(), appUrl);
    const corpus = writeCorpus();
    await openCorpus(page, corpus);
    await setRun(page, { steps: 60, summaryEvery: 20 });
    await startTraining(page);
    await waitForStatus(page, /^Finished$/);
    const models = await showTab(page, 'Models');
    await models.getByRole('button', { name: 'Save model' }).click();
    // Save offers the best checkpoint (by validation), which may be before the last step.
    const saved = page.getByText(/^Saved (the best checkpoint \(step \d+\)|step \d+) as/);
    await saved.waitFor({ timeout: 30_000 });
    const savedPath = (await saved.locator('code').textContent()) ?? '';
    const at = Number(/step (\d+)/.exec((await saved.textContent()) ?? '')![1]);
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThanOrEqual(60);

    // A fresh window: the corpus, then the model from its file.
    const { page: fresh, problems: freshProblems } = await openApp(browser(), appUrl);
    await openCorpus(fresh, corpus);
    await showTab(fresh, 'Models');
    const chooser = fresh.waitForEvent('filechooser');
    await fresh.getByRole('button', { name: 'Open model' }).click();
    await (await chooser).setFiles(savedPath);
    await expect
      .poll(() => fresh.getByText(/^Locked to the opened model/).count(), { timeout: 30_000 })
      .toBe(1);
    for (const label of ['Layers', 'Units per layer', 'Batch size', 'Unrollings', 'Seed']) {
      expect(
        await fresh.getByRole('spinbutton', { name: label, exact: true }).isDisabled(),
        label,
      ).toBe(true);
    }
    expect(await fresh.locator('#field-input').isDisabled()).toBe(true);
    expect(await fresh.locator('#field-init').isDisabled()).toBe(true);
    for (const label of ['Steps', 'Learning rate', 'Dropout', 'Clip to global norm']) {
      expect(
        await fresh.getByRole('spinbutton', { name: label, exact: true }).isEnabled(),
        label,
      ).toBe(true);
    }
    await screenshot(fresh, 'e2e-engine-1-locked-fields');

    // A new learning rate and 40 more steps: the resume takes them, and says so.
    const learningRate = Number(
      await fresh.getByRole('spinbutton', { name: 'Learning rate', exact: true }).inputValue(),
    );
    await setField(fresh, 'Learning rate', 0.5);
    const resume = fresh.getByRole('form', { name: 'Resume training' });
    await resume.getByLabel('Train', { exact: true }).fill('40');
    await expect
      .poll(() => resume.getByText(`Train 40 more steps, to step ${at + 40}.`).count())
      .toBe(1);
    await resume.getByRole('button', { name: `Train to step ${at + 40}` }).click();
    const notice = fresh.getByText(new RegExp(`^Resuming at step ${at}: `));
    await notice.waitFor({ timeout: 30_000 });
    expect(await notice.textContent()).toBe(
      `Resuming at step ${at}: Steps 60 → ${at + 40}; Learning rate ${learningRate} → 0.5`,
    );
    await waitForStatus(fresh, /^Finished$/);
    await screenshot(fresh, 'e2e-engine-2-resumed');

    // Choosing a preset starts a new model: nothing is locked any more.
    await fresh.getByLabel('Preset').selectOption({ index: 0 });
    expect(await fresh.getByText(/^Locked to the opened model/).count()).toBe(0);
    expect(
      await fresh.getByRole('spinbutton', { name: 'Batch size', exact: true }).isEnabled(),
    ).toBe(true);
    expect([...problems, ...freshProblems]).toEqual([]);
  });

  test('a run that diverges stops with a banner that says what happened and what to try', async () => {
    const { page, problems } = await openApp(browser(), appUrl);
    await openCorpus(page, writeCorpus());
    await setRun(page, { steps: 5000, summaryEvery: 10, checkpointEvery: 10 });
    await setField(page, 'Learning rate', 100);
    await startTraining(page);
    const banner = page.getByRole('alert').filter({ hasText: /^Training diverged at step/ });
    await banner.waitFor({ timeout: 60_000 });
    const text = (await banner.textContent()) ?? '';
    expect(text).toMatch(
      /^Training diverged at step (\d+): the training loss .+; no checkpoint of it was written\. Try a lower learning rate \(it was 100\)\.$/,
    );
    const step = Number(/step (\d+)/.exec(text)![1]);
    expect(step).toBeLessThan(5000);
    await expect
      .poll(() =>
        page
          .getByRole('status')
          .filter({ hasText: /^Diverged at step / })
          .count(),
      )
      .toBe(1);
    // The diverged weights were never checkpointed.
    expect(
      await page.getByRole('list', { name: 'Checkpoints' }).getByText('None yet.').count(),
    ).toBe(1);
    // Training can start again at once, with a lower rate.
    await expect
      .poll(() => page.getByRole('button', { name: 'Start training' }).isEnabled())
      .toBe(true);
    await screenshot(page, 'e2e-engine-3-diverged');
    expect(problems).toEqual([]);
  });
});
