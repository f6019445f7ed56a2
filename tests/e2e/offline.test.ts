import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { writeServiceWorker } from '../../scripts/offline/write-service-worker.mjs';
import { launch, openPage, siteUrl } from './browser.ts';
import { serveStatic } from './static-server.ts';

const LESSONS = [
  'lessons/moe-equation/',
  'lessons/moe-inside-the-transformer/',
  'lessons/moe-in-your-browser/',
  'lessons/why-sparse-is-cheaper/',
];

/** Resolves once the service worker has precached this build and controls the page. */
async function offlineReady(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) =>
        navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }),
      );
    }
  });
}

async function routed(page: Page): Promise<void> {
  await page.locator('.router-widget').scrollIntoViewIfNeeded();
  await page.locator('.router-widget[data-phase="ready"]').waitFor({ timeout: 90_000 });
  await page.locator('[data-testid="routing"] .tok').first().waitFor({ timeout: 60_000 });
}

describe('offline', () => {
  let browser: Browser;
  before(async () => (browser = await launch()));
  after(async () => browser.close());

  it('after one visit to the home page every lesson reloads offline, styled, and lesson 3 routes text', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(siteUrl());
    await offlineReady(page);
    // The checkpoints are not precached (megabytes each): a lesson that loaded one keeps it for offline use.
    await page.goto(siteUrl('lessons/moe-in-your-browser/'));
    await routed(page);
    await page.context().setOffline(true);
    for (const path of ['', ...LESSONS, 'lessons/moe-equation/?gate.n=4&gate.k=1', 'lessons/why-sparse-is-cheaper']) {
      const response = await page.goto(siteUrl(path));
      assert.equal(response?.status(), 200, `/${path} offline`);
      assert.equal(response?.fromServiceWorker(), true, `/${path} should come from the service worker`);
      const styled = await page.evaluate(() => getComputedStyle(document.querySelector('.site-header')!).position);
      assert.equal(styled, 'sticky', `/${path} lost its stylesheet offline`);
    }
    await page.goto(siteUrl('lessons/moe-equation/'));
    assert.ok(await page.evaluate(() => document.fonts.check('16px KaTeX_Main')), 'KaTeX fonts should load offline');
    await page.goto(siteUrl('lessons/moe-in-your-browser/'));
    await routed(page);
    assert.match((await page.locator('.router-widget').textContent()) ?? '', /weights from the offline cache/);
    // Search works offline too: its index is part of the precache.
    await page.keyboard.press('/');
    await page.locator('#site-search').fill('renormalise');
    await page.locator('[data-search-results] li a').first().waitFor();
    // A page the site does not have gets the site's own 404 page, not the browser's error page.
    await page.goto(siteUrl('no-such-page/'));
    assert.equal(await page.locator('h1').textContent(), 'Page not found');
    assert.deepEqual(errors, []);
  });

  it('after a rebuild with changed content the reader is offered the update, which replaces the old cache', async () => {
    // A copy of the build on its own origin, so this test's service worker and caches are its own.
    const dir = mkdtempSync(join(tmpdir(), 'moe-lab-update-'));
    cpSync(process.env.E2E_OUT_DIR ?? 'dist', dir, { recursive: true });
    const site = await serveStatic(dir, '/moe-lab');
    try {
      const { page, errors } = await openPage(browser);
      await page.goto(site.url);
      await offlineReady(page);
      // The engine's checkpoint cache must survive the site's update.
      await page.evaluate(async () => (await caches.open('moe-lab-checkpoints-v1')).put('probe', new Response('kept')));
      const before = await page.evaluate(() => caches.keys());
      assert.equal(before.filter((n) => n.startsWith('moe-lab-site-')).length, 1);
      assert.equal(await page.locator('[data-update-banner]').isVisible(), false, 'no update offered yet');

      // "Rebuild": change a lesson's content and run the build's service-worker step again.
      const lessonFile = join(dir, 'lessons/moe-equation/index.html');
      const original = readFileSync(lessonFile, 'utf8');
      const changed = original.replace(/(<h1\b[^>]*>)/, '$1Updated: ');
      assert.notEqual(changed, original);
      writeFileSync(lessonFile, changed);
      writeServiceWorker(dir);

      await page.reload();
      const banner = page.locator('[data-update-banner]');
      await banner.waitFor({ state: 'visible', timeout: 30_000 });
      assert.equal(await banner.getAttribute('role'), 'status');
      assert.match((await banner.textContent()) ?? '', /A new version of MoE Lab is ready/);
      const reloaded = page.waitForEvent('load');
      await page.getByRole('button', { name: 'Reload to update' }).click();
      await reloaded;
      await page.waitForFunction(
        async () => (await caches.keys()).filter((n) => n.startsWith('moe-lab-site-')).length === 1,
      );
      const after = await page.evaluate(() => caches.keys());
      const siteCaches = after.filter((n) => n.startsWith('moe-lab-site-'));
      assert.notDeepEqual(
        siteCaches,
        before.filter((n) => n.startsWith('moe-lab-site-')),
        'the old cache is still in use',
      );
      assert.ok(after.includes('moe-lab-checkpoints-v1'), 'the update deleted the checkpoint cache');
      await page.context().setOffline(true);
      await page.goto(new URL('lessons/moe-equation/', site.url).toString());
      assert.match((await page.locator('h1').textContent()) ?? '', /^Updated: /, 'offline still serves the old lesson');
      assert.deepEqual(errors, []);
    } finally {
      await site.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
