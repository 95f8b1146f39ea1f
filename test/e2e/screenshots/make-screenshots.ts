/**
 * Makes the README's and docs' screenshots of a real run, as a person would: browser mode
 * (the same server the end-to-end tests start, with a fresh data folder) in Debian's
 * Chromium at 1440×900, the sample corpus, the Small preset trained for a few minutes
 * ("Train for"), then the dashboard, the generator, the run library and Look inside.
 *
 *   npx tsx test/e2e/screenshots/make-screenshots.ts [--minutes 3] [--out docs/screenshots]
 *
 * When the engine does not end the run at its time (an engine without time budgets), the
 * script presses Stop once the run has trained that long, and the pictures say "Stopped".
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, ROOT } from '../browser';
import { build, startServer, stop } from '../global-setup';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

const minutes = Number(option('minutes', '3'));
const outDir = path.resolve(ROOT, option('out', 'docs/screenshots'));
const PRIME = 'And God said';

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function status(page: Page): Promise<string> {
  return (await page.locator('.status-row .status').textContent())?.trim() ?? '';
}

async function main(): Promise<void> {
  if (!(minutes > 0 && minutes <= 60)) throw new Error('--minutes must be from 0 to 60');
  mkdirSync(outDir, { recursive: true });
  await build();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lstm-studio-screenshots-'));
  const { child, url } = await startServer(dataDir);
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await page.goto(url);
    await page.getByLabel('Preset').locator('option').first().waitFor({ state: 'attached' });

    await page.getByRole('button', { name: 'Open sample corpus' }).click();
    await until(
      'the sample corpus',
      async () => (await page.locator('.report h3.name').textContent()) === 'king-james-bible.zip',
      120_000,
    );
    const form = page.getByRole('region', { name: 'Hyperparameters' });
    await form.getByLabel('Preset').selectOption('small');
    await form.getByLabel('Train for', { exact: true }).selectOption({ label: 'Custom…' });
    await form.getByRole('textbox', { name: 'Time' }).fill(`${minutes}m`);
    const start = page.getByRole('button', { name: 'Start training' });
    await until('Start to be enabled', () => start.isEnabled(), 60_000);
    await start.click();
    const begun = Date.now();
    console.log(`training Small for ${minutes} min on the sample corpus…`);

    // Halfway: the dashboard of a run in progress, its bar filling with time.
    await page.waitForTimeout((minutes * 60_000) / 2);
    await page.screenshot({ path: path.join(outDir, 'training.png') });

    // Its end: the engine's deadline, or Stop once it has trained that long (pauses aside).
    await until(
      'the run to end',
      async () => {
        const now = await status(page);
        if (now === 'Finished' || now.startsWith('Stopped')) return true;
        const elapsed = await page.locator('.progress-text').textContent();
        const over = Date.now() - begun > minutes * 60_000 * 1.05;
        if (over && now.startsWith('Training')) {
          console.log(`no end from the engine at ${elapsed}: pressing Stop`);
          await page.getByRole('button', { name: 'Stop' }).click();
        }
        return false;
      },
      minutes * 60_000 * 3,
    );
    console.log(`${await status(page)} · ${await page.locator('#training-summary').textContent()}`);
    await page.screenshot({ path: path.join(outDir, 'app.png') });

    const tabs = page.getByRole('tablist').first();
    await tabs.getByRole('tab', { name: 'Generator' }).click();
    const generator = page.getByRole('tabpanel', { name: 'Generator' });
    await generator.getByLabel('Prime text').fill(PRIME);
    await generator.getByRole('spinbutton', { name: /^Length/ }).fill('600');
    await generator.getByRole('spinbutton', { name: /^Temperature/ }).fill('0.7');
    const generate = generator.getByRole('button', { name: 'Generate' });
    await until('Generate to be enabled', () => generate.isEnabled(), 60_000);
    await generate.click();
    const output = page.getByRole('textbox', { name: 'Generated text', exact: true });
    await until(
      'the generated text',
      async () =>
        (await output.getAttribute('aria-busy')) === 'false' &&
        ((await output.textContent()) ?? '').length > 600,
      120_000,
    );
    // Away from the text, so no character's alternatives are open.
    await page.mouse.move(0, 0);
    // The tabs' pane, wherever the page has it (below the dashboard).
    const tabsPane = page.locator('section.pane.tabs');
    await tabsPane.screenshot({ path: path.join(outDir, 'generator.png') });

    await tabs.getByRole('tab', { name: 'Runs', exact: true }).click();
    const runs = page.getByRole('tabpanel', { name: 'Runs' });
    await runs.getByRole('list', { name: 'Runs' }).getByRole('listitem').first().waitFor();
    await tabsPane.screenshot({ path: path.join(outDir, 'runs.png') });

    await tabs.getByRole('tab', { name: 'Look inside' }).click();
    const inside = page.getByRole('tabpanel', { name: 'Look inside' });
    await inside.getByLabel('The current model').check();
    await inside.getByLabel("The corpus's validation text, first").check();
    await inside.getByLabel('Characters of validation text').fill('3000');
    await inside.getByRole('button', { name: 'Look inside', exact: true }).click();
    const top = inside
      .getByRole('region', { name: 'Find interesting cells' })
      .getByRole('button', { name: /^After a space: layer \d+ cell \d+/ })
      .first();
    await top.waitFor({ timeout: 180_000 });
    await top.click();
    await inside.getByLabel(/^Text coloured by layer \d+ cell \d+$/).waitFor();
    await page.mouse.move(0, 0);
    // The pane is taller than the window: the window, scrolled to its views and the text.
    await inside
      .getByRole('tablist', { name: 'Look-inside views' })
      .evaluate((views) => views.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: path.join(outDir, 'look-inside.png') });
    console.log(
      `wrote app.png, training.png, generator.png, runs.png, look-inside.png to ${outDir}`,
    );
  } finally {
    await browser.close();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    stop(child);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    stop(child, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
