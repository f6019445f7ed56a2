// Lesson 4's live benchmark, in real Chromium on wasm: it waits for the reader, runs with progress, plots and
// tabulates real timings, can be cancelled mid-run and run again, and keeps its settings in the URL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launch, openPage, seriousA11yViolations, siteUrl } from './browser.ts';

const LESSON = 'lessons/why-sparse-is-cheaper/';
const WIDGET = '.bench-widget';
/** Small and quick: 128 tokens, 3 timed runs per case, forward only. */
const SMALL = 'bench.backend=wasm&bench.tokens=128&bench.reps=3';

/** Opens the lesson with the widget on screen and waits until the engine is ready to run. */
async function ready(page: Page, query: string): Promise<void> {
  await page.goto(siteUrl(`${LESSON}?${query}`));
  await page.locator(WIDGET).scrollIntoViewIfNeeded();
  await page.locator(`${WIDGET}[data-phase="ready"]`).waitFor({ timeout: 90_000 });
}

async function attr(page: Page, name: string): Promise<number> {
  return Number(await page.locator(WIDGET).getAttribute(name));
}

/** The table's milliseconds, per implementation, for every row shown. */
async function tableMs(page: Page): Promise<Record<string, number[]>> {
  return page.locator('[data-testid="results"] td[data-impl]').evaluateAll((cells) => {
    const out: Record<string, number[]> = {};
    for (const c of cells) (out[c.getAttribute('data-impl')!] ??= []).push(Number(c.getAttribute('data-ms')));
    return out;
  });
}

describe('lesson 4: the sparse-vs-dense benchmark in the browser', () => {
  let browser: Browser;
  before(async () => (browser = await launch()));
  after(async () => browser.close());

  it('does not run until Run is pressed, then measures every case with progress, charts and a table', async () => {
    const watched = await openPage(browser);
    const { page } = watched;
    await ready(page, SMALL);
    assert.match((await page.locator('[data-testid="status"]').textContent()) ?? '', /Ready on wasm in a Web Worker/);
    assert.equal(await attr(page, 'data-runs'), 0);
    assert.equal(await page.locator('[data-testid="results"]').count(), 0, 'nothing should run on load');

    const progressSeen: number[] = [];
    await page.exposeFunction('recordDone', (n: number) => progressSeen.push(n));
    await page.evaluate(() => {
      const widget = document.querySelector('.bench-widget')!;
      new MutationObserver(() =>
        (window as unknown as { recordDone(n: number): void }).recordDone(Number(widget.getAttribute('data-done'))),
      ).observe(widget, { attributes: true, attributeFilter: ['data-done'] });
    });
    await page.getByRole('button', { name: 'Run' }).click();
    await page.locator('[data-testid="progress"]').waitFor();
    await page.locator(`${WIDGET}[data-runs="1"]`).waitFor({ timeout: 120_000 });

    assert.equal(await page.locator(WIDGET).getAttribute('data-phase'), 'done');
    const total = await attr(page, 'data-total');
    assert.equal(total, 9, 'six N and three more K cases');
    assert.equal(await attr(page, 'data-done'), total);
    // Rows arrived one by one: the charts had partial results to draw before the end.
    assert.ok(new Set(progressSeen).size >= 3, `progress seen: ${progressSeen.join(', ')}`);
    assert.match((await page.locator('[data-testid="progress-text"]').textContent()) ?? '', /All 9 cases measured/);

    const ms = await tableMs(page);
    for (const impl of ['sparse', 'masked', 'dense']) {
      assert.equal(ms[impl]?.length, 9, `${impl}: one time per case`);
      assert.ok(
        ms[impl]!.every((v) => Number.isFinite(v) && v > 0),
        `${impl}: every time is a positive number (${ms[impl]!.join(', ')})`,
      );
    }
    // Three charts, each with a line per implementation and a marker per measured point.
    const charts = page.locator(`${WIDGET} .plot-holder svg`);
    assert.equal(await charts.count(), 3);
    for (let i = 0; i < 3; i++) {
      assert.ok((await charts.nth(i).locator('path[d]').count()) >= 3, `chart ${i + 1} has its lines`);
    }
    assert.match((await page.locator('[data-testid="measured-with"]').textContent()) ?? '', /Measured on wasm, 128/);
    assert.match((await page.locator('[data-testid="summary"]').textContent()) ?? '', /From N = 2 to N = 32/);
    assert.deepEqual(watched.errors, []);
  });

  it('Cancel stops a run part-way, says so, and Run works again', async () => {
    const watched = await openPage(browser);
    const { page } = watched;
    // Training passes on 1024 tokens: slow enough per case that Cancel lands mid-run.
    await ready(page, 'bench.backend=wasm&bench.tokens=1024&bench.reps=3&bench.pass=training');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.locator(`${WIDGET}[data-done="1"]`).waitFor({ timeout: 120_000 });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator(`${WIDGET}[data-phase="cancelled"]`).waitFor({ timeout: 60_000 });
    const done = await attr(page, 'data-done');
    assert.ok(done >= 1 && done < 9, `stopped after ${done} of 9 cases`);
    assert.match(
      (await page.locator('[data-testid="progress-text"]').textContent()) ?? '',
      new RegExp(`Cancelled after ${done} of 9 cases`),
    );
    assert.equal(await page.locator('[data-testid="results"] tbody tr').count(), done, 'the measured rows stay');
    // Nothing more arrives after the cancel.
    await page.waitForTimeout(1500);
    assert.equal(await attr(page, 'data-done'), done);

    // A new, small run from the same page.
    await page.getByLabel('Tokens per batch', { exact: true }).selectOption('128');
    await page.getByLabel('Pass', { exact: true }).selectOption('forward');
    const run = page.getByRole('button', { name: 'Run' });
    assert.ok(await run.isEnabled());
    await run.click();
    await page.locator(`${WIDGET}[data-runs="2"][data-phase="done"]`).waitFor({ timeout: 120_000 });
    assert.equal(await attr(page, 'data-done'), 9);
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('bench.tokens'), '128');
    assert.equal(url.searchParams.get('bench.pass'), 'forward');
    assert.deepEqual(watched.errors, []);
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`with results shown, 375 px wide: no accessibility violations, no overflow (${colorScheme})`, async () => {
      const { page, errors } = await openPage(browser, { colorScheme, viewport: { width: 375, height: 800 } });
      await ready(page, SMALL);
      await page.getByRole('button', { name: 'Run' }).click();
      await page.locator(`${WIDGET}[data-runs="1"]`).waitFor({ timeout: 120_000 });
      await page.locator(`${WIDGET} .plot-holder svg`).nth(2).waitFor();
      assert.deepEqual(await seriousA11yViolations(page), []);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
      assert.deepEqual(errors, []);
    });
  }

  it('a bad link gets a sentence and the defaults', async () => {
    const { page, errors } = await openPage(browser);
    await ready(page, 'bench.backend=wasm&bench.tokens=99');
    assert.match(
      (await page.locator(`${WIDGET} .link-notice`).textContent()) ?? '',
      /Tokens per batch must be one of 128, 256, 512, 1024, 2048; the link had "99"/,
    );
    assert.equal(await page.getByLabel('Tokens per batch', { exact: true }).inputValue(), '512');
    assert.deepEqual(errors, []);
  });
});
