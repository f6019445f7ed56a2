import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launch, openPage, siteUrl } from './browser.ts';

const LESSON = 'lessons/moe-equation/';

interface ChunkMap {
  chunks: { file: string; packages: string[] }[];
}

/** Built chunk files that contain any of the given packages, from the build's chunk map. */
function chunksWith(...packages: string[]): string[] {
  const map = JSON.parse(readFileSync('.build/chunk-map.json', 'utf8')) as ChunkMap;
  return map.chunks.filter((c) => c.packages.some((p) => packages.some((q) => p.startsWith(q)))).map((c) => c.file);
}

async function selectedCount(page: Page): Promise<number> {
  return page.locator('tr[data-selected="true"]').count();
}

async function widget(page: Page): Promise<void> {
  await page.locator('.gate-widget').scrollIntoViewIfNeeded();
  await page.locator('.gate-widget[data-hydrated="true"]').waitFor();
}

describe('lesson 1 and its gate widget', () => {
  let browser: Browser;
  before(async () => (browser = await launch()));
  after(async () => browser.close());

  it('renders its math with KaTeX at build time, with styles and fonts from this site', async () => {
    const { page, requests } = await openPage(browser);
    await page.goto(siteUrl(LESSON));
    assert.ok((await page.locator('.katex').count()) > 20, 'expected KaTeX-rendered math');
    assert.ok((await page.locator('.katex-display').count()) >= 5, 'expected display equations');
    assert.ok((await page.locator('.katex-error').count()) === 0, 'a formula failed to render');
    await page.waitForLoadState('networkidle');
    const origin = new URL(siteUrl()).origin;
    assert.deepEqual(
      requests.filter((r) => !r.startsWith(origin) && !r.startsWith('data:')),
      [],
      'everything must be self-hosted',
    );
    assert.ok(
      requests.some((r) => /KaTeX_.*\.woff2$/.test(r)),
      'KaTeX fonts should load from this site',
    );
  });

  it('fetches no Plot or tfjs chunk before the widget nears the screen, and Plot once it does', async () => {
    const lazy = chunksWith('@observablehq/plot', '@tensorflow/');
    assert.ok(lazy.length > 0, 'the chunk map lists no Plot/tfjs chunk: is the build stale?');
    const { page, requests } = await openPage(browser, { viewport: { width: 1280, height: 800 } });
    await page.goto(siteUrl(LESSON));
    await page.waitForLoadState('networkidle');
    const early = requests.filter((r) => lazy.some((file) => r.endsWith(file)));
    assert.deepEqual(early, [], 'heavy chunks were fetched on first load');
    await widget(page);
    await page.locator('.plot-holder svg').first().waitFor();
    assert.ok(
      requests.some((r) => chunksWith('@observablehq/plot').some((file) => r.endsWith(file))),
      'Plot should load when the widget is visible',
    );
  });

  it('moving the K slider by keyboard changes how many experts are selected', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(siteUrl(LESSON));
    await widget(page);
    assert.equal(await selectedCount(page), 2);
    const k = page.getByLabel('Chosen per token K');
    await k.focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await selectedCount(page), 3);
    assert.equal(await page.locator('[data-testid="selected-count"]').textContent(), '3');
    await page.keyboard.press('End');
    assert.equal(await selectedCount(page), 8, 'K = N selects every expert');
    await page.keyboard.press('Home');
    assert.equal(await selectedCount(page), 1);
    assert.deepEqual(errors, []);
  });

  it('keeps the gate weights summing to 1 and shows the skipped experts as not computed', async () => {
    const { page } = await openPage(browser);
    await page.goto(siteUrl(`${LESSON}?gate.n=12&gate.k=3`));
    await widget(page);
    const weights = await page.locator('tbody tr td:nth-child(5)').allTextContents();
    const total = weights.map((w) => Number(w.replace('−', '-'))).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - 1) < 0.02, `weights sum to ${total}`);
    assert.equal(await page.locator('td', { hasText: 'not computed' }).count(), 9);
  });

  it('shrinking N below K pulls K down; the K slider cannot exceed N', async () => {
    const { page } = await openPage(browser);
    await page.goto(siteUrl(`${LESSON}?gate.n=8&gate.k=6`));
    await widget(page);
    await page.getByLabel('Experts N').fill('3');
    assert.equal(await page.locator('[data-testid="k-value"]').textContent(), '3');
    assert.equal(await page.getByLabel('Chosen per token K').getAttribute('max'), '3');
    assert.equal(await selectedCount(page), 3);
  });

  it('works by mouse and by touch', async () => {
    const { page } = await openPage(browser, { hasTouch: true, viewport: { width: 375, height: 740 } });
    await page.goto(siteUrl(LESSON));
    await widget(page);
    const slider = page.getByLabel('Chosen per token K');
    await slider.scrollIntoViewIfNeeded();
    const box = await slider.boundingBox();
    assert.ok(box);
    const y = box.y + box.height / 2;
    // K runs 1..8 along the track: the far right is K = 8, the far left K = 1.
    await page.touchscreen.tap(box.x + box.width - 2, y);
    assert.equal(await selectedCount(page), 8);
    const touch = await page.context().newCDPSession(page);
    const point = (x: number) => [{ x, y }];
    await touch.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: point(box.x + box.width - 4) });
    for (let step = 1; step <= 8; step++) {
      const x = box.x + box.width - 4 - ((box.width - 8) * step) / 8;
      await touch.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: point(x) });
    }
    await touch.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    assert.equal(await selectedCount(page), 1, 'dragging a finger to the left end should give K = 1');
    await page.mouse.click(box.x + box.width / 2, y);
    const k = Number(await page.locator('[data-testid="k-value"]').textContent());
    assert.ok(k >= 4 && k <= 5, `a click in the middle of the track gave K = ${k}`);
    assert.equal(await selectedCount(page), k);
  });

  it('shares its state in the URL, and a bad link gets a clear message and loses nothing else', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(siteUrl(`${LESSON}?gate.n=4&gate.k=9&gate.x=1,2,oops,4&other=kept`));
    await widget(page);
    const notice = page.getByRole('status').filter({ hasText: 'could not be used' });
    await notice.waitFor();
    const text = await notice.textContent();
    assert.match(text ?? '', /K cannot exceed the number of experts \(4\); the link had 9/);
    assert.match(text ?? '', /The input x must be 4 comma-separated numbers/);
    assert.equal(await page.locator('[data-testid="n-value"]').textContent(), '4');
    assert.equal(await page.locator('[data-testid="k-value"]').textContent(), '4');

    await page.getByLabel('Chosen per token K').focus();
    await page.keyboard.press('ArrowLeft');
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('gate.k'), '3');
    assert.equal(url.searchParams.get('gate.n'), '4');
    assert.equal(url.searchParams.get('other'), 'kept', 'other parameters must survive');
    await page.reload();
    await widget(page);
    assert.equal(await page.locator('[data-testid="k-value"]').textContent(), '3');
    assert.equal(await selectedCount(page), 3);
    assert.deepEqual(errors, []);
  });
});
