import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launch, openPage, seriousA11yViolations, siteUrl } from './browser.ts';

// Every lesson, read from lessons/ so a new one cannot be left out of the accessibility checks.
const LESSONS = readdirSync('lessons')
  .filter((f) => f.endsWith('.mdx'))
  .map((f) => `lessons/${f.replace(/\.mdx$/, '')}/`);
const PAGES = ['', ...LESSONS, 'playground/', 'no-such-page/'];

describe('the e2e build', () => {
  it("is served from its own folder, not from the reader's dist/", () => {
    const out = process.env.E2E_OUT_DIR ?? '';
    assert.ok(out !== '', 'the runner should say which folder it built into (E2E_OUT_DIR)');
    assert.notEqual(resolve(out), resolve('dist'));
    assert.ok(existsSync(join(out, 'index.html')), `${out} should hold the built site`);
  });
});

describe('site shell', () => {
  let browser: Browser;
  before(async () => (browser = await launch()));
  after(async () => browser.close());

  it('the home page is a course map listing the lessons in order', async () => {
    const { page } = await openPage(browser);
    await page.goto(siteUrl());
    const titles = await page.locator('.course-map .title').allTextContents();
    assert.ok(titles.length >= 1, 'no lessons listed');
    assert.equal(titles[0], 'The Mixture-of-Experts equation');
    const href = await page.locator('.course-map a').first().getAttribute('href');
    assert.equal(href, '/moe-lab/lessons/moe-equation/');
  });

  it('an unknown address shows the 404 page with a way back', async () => {
    const { page } = await openPage(browser);
    const response = await page.goto(siteUrl('no-such-page/'));
    assert.equal(response?.status(), 404);
    assert.equal(await page.locator('h1').textContent(), 'Page not found');
    await page.getByRole('link', { name: 'Go to the course map' }).click();
    await page.waitForURL(siteUrl());
  });

  it('the dark-mode toggle follows the system first, then persists the reader’s choice', async () => {
    const { page } = await openPage(browser, { colorScheme: 'dark' });
    await page.goto(siteUrl());
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
    assert.equal(await theme(), 'dark');
    const toggle = page.getByRole('button', { name: 'Dark mode' });
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    await toggle.click();
    assert.equal(await theme(), 'light');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await page.goto(siteUrl('lessons/moe-equation/'));
    assert.equal(await theme(), 'light', 'the choice did not survive navigation');
    await page.reload();
    assert.equal(await theme(), 'light', 'the choice did not survive a reload');
  });

  for (const path of PAGES) {
    for (const colorScheme of ['light', 'dark'] as const) {
      it(`/${path} has no serious accessibility violations and no console errors (${colorScheme})`, async () => {
        const { page, errors } = await openPage(browser, { colorScheme });
        await page.goto(siteUrl(path));
        // Bring any widget on screen so its hydrated state is scanned too.
        await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
        await page.waitForTimeout(300);
        await page.evaluate(() => window.scrollTo(0, 0));
        const violations = await seriousA11yViolations(page);
        assert.deepEqual(violations, []);
        // A 404 status is the expected answer for the missing page, logged by Chromium as a resource error.
        const unexpected = errors.filter((e) => !(path === 'no-such-page/' && e.includes('404')));
        assert.deepEqual(unexpected, []);
      });
    }
  }

  it('every page is usable 375 px wide: no horizontal scrolling, every scroll region reachable by keyboard', async () => {
    const { page } = await openPage(browser, { viewport: { width: 375, height: 800 } });
    for (const path of PAGES) {
      await page.goto(siteUrl(path));
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `/${path} is ${overflow}px wider than the screen`);
      // At this width wide tables and equations become scroll regions of their own (axe: scrollable-region-focusable).
      assert.deepEqual(await seriousA11yViolations(page), [], `/${path} at 375 px`);
    }
  });
});
