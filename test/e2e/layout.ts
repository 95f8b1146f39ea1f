/**
 * The layout check of the end-to-end tests, run in the page: see in-page/layout-check.ts
 * for what it finds. That file is typed against the DOM (tsconfig.web.json), so it is
 * loaded at run time here rather than imported into this Node-typed file.
 */
import type { Page } from 'playwright-core';

const IN_PAGE = './in-page/layout-check.ts';

/** Every layout problem on `page` now, one line each ([] when none). */
export async function layoutProblems(page: Page): Promise<string[]> {
  const { findLayoutProblems } = (await import(/* @vite-ignore */ IN_PAGE)) as {
    findLayoutProblems: () => string[];
  };
  return page.evaluate(findLayoutProblems);
}
