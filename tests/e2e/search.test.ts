import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launch, openPage, seriousA11yViolations, siteUrl } from './browser.ts';

/**
 * The lessons whose source mentions a word (any ending), by title: what a full-text search must find.
 * Read from lessons/*.mdx, so a lesson added or reworded later changes the expectation with it.
 */
function lessonsMentioning(stem: string): string[] {
  return readdirSync('lessons')
    .filter((f) => f.endsWith('.mdx'))
    .map((f) => readFileSync(`lessons/${f}`, 'utf8'))
    .filter((source) => {
      const body = source.replace(/^---[\s\S]*?\n---\n/, '');
      return new RegExp(`\\b${stem}`, 'i').test(body);
    })
    .map((source) => /^title: (.+)$/m.exec(source)?.[1]?.replace(/^'(.*)'$/, '$1') ?? '')
    .sort();
}

async function search(page: Page, query: string): Promise<void> {
  await page.keyboard.press('/');
  await page.locator('#site-search').fill(query);
  await page.waitForFunction(
    (q) => (document.querySelector('[data-search-status]')?.textContent ?? '').includes(`“${q}”`),
    query,
  );
}

const resultTitles = async (page: Page): Promise<string[]> =>
  (await page.locator('[data-search-results] li > a').allTextContents()).sort();

describe('search', () => {
  let browser: Browser;
  before(async () => (browser = await launch()));
  after(async () => browser.close());

  it('loads nothing of search until the reader opens it; `/` focuses the field', async () => {
    const { page, requests } = await openPage(browser);
    await page.goto(siteUrl('lessons/moe-equation/'));
    await page.waitForLoadState('networkidle');
    assert.deepEqual(
      requests.filter((r) => r.includes('/pagefind/')),
      [],
      'search files were fetched on first load',
    );
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'site-search');
    await page.waitForFunction(() =>
      performance.getEntriesByType('resource').some((e) => e.name.includes('/pagefind/pagefind.js')),
    );
  });

  it('"renormalise" finds the lessons that discuss it, with excerpts, and the link works under /moe-lab/', async () => {
    const expected = lessonsMentioning('renormalis');
    assert.ok(expected.includes('The Mixture-of-Experts equation'), 'lesson 1 should discuss renormalising');
    const { page, errors } = await openPage(browser);
    await page.goto(siteUrl());
    await search(page, 'renormalise');
    assert.deepEqual(await resultTitles(page), expected);
    assert.ok((await page.locator('[data-search-results] li mark').count()) > 0, 'excerpts should mark the match');
    const link = page.locator('[data-search-results] li > a', { hasText: 'The Mixture-of-Experts equation' });
    const href = (await link.getAttribute('href')) ?? '';
    assert.ok(href.startsWith('/moe-lab/lessons/moe-equation/'), `the result links to ${href}`);
    // By keyboard: ArrowDown from the field reaches the results, Enter follows the link.
    await page.locator('#site-search').press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === '/moe-lab/lessons/moe-equation/');
    assert.equal(await page.locator('h1').textContent(), 'The Mixture-of-Experts equation');
    assert.deepEqual(errors, []);
  });

  it('"capacity" finds exactly the lessons that mention it, or says none does', async () => {
    const expected = lessonsMentioning('capacit');
    const { page } = await openPage(browser);
    await page.goto(siteUrl('lessons/why-sparse-is-cheaper/'));
    await search(page, 'capacity');
    assert.deepEqual(await resultTitles(page), expected);
    if (expected.length === 0) {
      assert.equal(await page.locator('[data-search-status]').textContent(), 'No lesson mentions “capacity”.');
    }
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('[data-search-results]').isHidden(), true, 'Escape should close the results');
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`with results open, 375 px wide: no serious accessibility violations, no overflow (${colorScheme})`, async () => {
      const { page } = await openPage(browser, { colorScheme, viewport: { width: 375, height: 800 } });
      // The home page: lesson 1's wide table is a scrollable region of its own, outside this test's subject.
      await page.goto(siteUrl());
      await search(page, 'expert');
      assert.ok((await page.locator('[data-search-results] li').count()) > 0);
      assert.deepEqual(await seriousA11yViolations(page), []);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
      const box = await page.locator('[data-search-results]').boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 375, `the results panel sticks out: ${JSON.stringify(box)}`);
    });
  }
});
