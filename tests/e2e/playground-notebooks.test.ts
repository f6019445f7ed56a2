// Every example notebook run in the real playground in Chromium, on wasm: Run all, and every code cell ends
// "ok" (the tour's one intended error aside). Then the lesson widgets' "Open in the playground" links: each
// lands on its notebook, and the widget's state reaches the cells. One page, reused, notebook after notebook.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launch, openPage, siteUrl } from './browser.ts';
import { INTENDED_ERRORS } from '../unit/lab-sources.ts';

const SLUGS = readdirSync('notebooks')
  .filter((f) => f.endsWith('.md'))
  .map((f) => f.slice(0, -'.md'.length));

/** Waits for the notebook app to be live (the editors mount when it hydrates) and picks the wasm backend. */
async function notebookReady(page: Page): Promise<void> {
  await page.locator('.cell-code .cm-content').first().waitFor({ timeout: 30_000 });
  // The suite's figures are for WebAssembly; WebGPU here is SwiftShader, a software renderer.
  await page.getByTestId('backend').selectOption('wasm');
}

/** Clicks `run` and waits until no code cell is queued or running; returns every code cell's status. */
async function runAndWait(page: Page, run: () => Promise<void>, timeout = 180_000): Promise<string[]> {
  await run();
  await page.waitForFunction(
    () => {
      const cells = [...document.querySelectorAll('.cell-code')];
      const busy = cells.some((c) => ['queued', 'running'].includes(c.getAttribute('data-status') ?? ''));
      return !busy && cells.some((c) => c.getAttribute('data-status') !== 'idle');
    },
    null,
    { timeout, polling: 250 },
  );
  return page.locator('.cell-code').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-status') ?? ''));
}

describe('the example notebooks in the playground', () => {
  let browser: Browser;
  let page: Page;
  let errors: string[];
  before(async () => {
    browser = await launch();
    ({ page, errors } = await openPage(browser));
  });
  after(async () => browser.close());

  for (const slug of SLUGS) {
    it(`${slug}: Run all runs every cell without error`, async () => {
      await page.goto(siteUrl(`playground/${slug}/`));
      await notebookReady(page);
      const statuses = await runAndWait(page, () => page.getByRole('button', { name: 'Run all' }).click());
      const failures = await page.locator('.cell-code[data-status="error"] .out.error').allInnerTexts();
      const intended = INTENDED_ERRORS[slug] ?? [];
      const expected = statuses.map((_, i) => {
        const first = intended[0];
        if (first === undefined || i + 1 < first) return 'ok';
        return i + 1 === first ? 'error' : 'idle'; // Run all stops at the first cell that fails
      });
      assert.deepEqual(statuses, expected, `cells of ${slug}: ${failures.join(' | ')}`);
      const plots = await page.locator('.cell-code .outputs iframe, .cell-code .outputs svg').count();
      assert.ok(plots + (await page.locator('.cell-code .outputs').count()) > 0, 'the cells show output');
    });
  }

  it('the router widget opens its notebooks with its checkpoint, K and text', async () => {
    const text = 'Hello & good-bye, world';
    await page.goto(
      siteUrl(`lessons/moe-in-your-browser/?moe.checkpoint=e16-top2&moe.k=1&moe.text=${encodeURIComponent(text)}`),
    );
    await page.locator('.router-widget').scrollIntoViewIfNeeded(); // widgets hydrate when visible
    const widget = page.locator('.router-widget[data-hydrated="true"]');
    await widget.waitFor();
    const route = widget.locator('.playground-links a[data-notebook="route-a-sentence"]');
    const href = new URL((await route.getAttribute('href'))!, siteUrl());
    assert.deepEqual(Object.fromEntries(href.searchParams), { checkpoint: 'e16-top2', k: '1', text });
    await route.click();
    await page.waitForURL(/\/playground\/route-a-sentence\/\?/);
    await notebookReady(page);
    const first = page.locator('.cell-code').first();
    const statuses = await runAndWait(page, () => first.getByRole('button', { name: /^Run cell/ }).click());
    assert.equal(statuses[0], 'ok');
    const shown = await first.locator('.outputs').innerText();
    assert.match(shown, /e16-top2/);
    assert.match(shown, /k\W+1\b/);
  });

  it('the gate widget opens its notebook with its N and K', async () => {
    await page.goto(siteUrl('lessons/moe-equation/?gate.n=5&gate.k=3'));
    await page.locator('.gate-widget').scrollIntoViewIfNeeded();
    const link = page.locator('.gate-widget[data-hydrated="true"] .playground-links a[data-notebook="gate-by-hand"]');
    await link.waitFor();
    await link.click();
    await page.waitForURL(/\/playground\/gate-by-hand\/\?/);
    await notebookReady(page);
    const first = page.locator('.cell-code').first();
    await runAndWait(page, () => first.getByRole('button', { name: /^Run cell/ }).click());
    // Cell 1 lists one logit per expert: N = 5 rows.
    assert.equal(await first.locator('.outputs table tbody tr').count(), 5);
  });

  it('every widget link lands on an example notebook', async () => {
    const lessons = readdirSync('lessons')
      .filter((f) => f.endsWith('.mdx'))
      .map((f) => f.replace(/\.mdx$/, ''));
    const hrefs = new Set<string>();
    for (const lesson of lessons) {
      await page.goto(siteUrl(`lessons/${lesson}/`));
      // The links are relative to the lesson page: keep them as the browser resolves them there.
      for (const a of await page.locator('.playground-links a').all()) {
        hrefs.add(await a.evaluate((el) => (el as HTMLAnchorElement).href));
      }
    }
    assert.ok(hrefs.size >= 7, `expected a link per widget notebook, got ${[...hrefs].join(', ')}`);
    for (const href of hrefs) {
      const slug = /\/playground\/([^/]+)\//.exec(href)![1]!;
      assert.ok(SLUGS.includes(slug), `${href} names no example notebook`);
      const response = await page.goto(href);
      assert.equal(response?.status(), 200, href);
      await notebookReady(page);
    }
    assert.deepEqual(
      errors.filter((e) => !/Failed to load resource/.test(e)),
      [],
    );
  });
});
