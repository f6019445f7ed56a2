// Takes full-page screenshots of the built site at phone and desktop widths, light and dark, into
// screenshots/ (git-ignored), so a change can be looked at, not just tested. Build first (npm run build).
// Usage: node scripts/screenshots.ts [path-fragment…]   e.g. node scripts/screenshots.ts lessons/moe-equation
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium } from '../tests/e2e/chromium.ts';
import { serveStatic } from '../tests/e2e/static-server.ts';

const PAGES = [
  '',
  'lessons/moe-equation/',
  'lessons/moe-inside-the-transformer/',
  'lessons/moe-in-your-browser/',
  'lessons/why-sparse-is-cheaper/',
  'lessons/cheaper-to-train/',
  'lessons/load-balancing/',
  'playground/',
  'playground/playground-tour/',
  'playground/notebook/',
  'no-such-page/',
];
const only = process.argv.slice(2);
const outDir = join(process.cwd(), 'screenshots');
mkdirSync(outDir, { recursive: true });

const site = await serveStatic(join(process.cwd(), 'dist'), process.env.BASE_PATH ?? '/');
const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
try {
  for (const path of PAGES.filter((p) => only.length === 0 || only.some((o) => (p || 'home').includes(o)))) {
    for (const width of [375, 1280]) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const page = await browser.newPage({ viewport: { width, height: 900 }, colorScheme });
        await page.goto(new URL(path, site.url).toString());
        // Scroll through so client:visible widgets hydrate, then back to the top.
        await page.evaluate(async () => {
          for (let y = 0; y < document.body.scrollHeight; y += 400) {
            window.scrollTo(0, y);
            await new Promise((r) => setTimeout(r, 60));
          }
          window.scrollTo(0, 0);
        });
        // A notebook is shown after Run all, with its outputs (errors included).
        if (await page.locator('.notebook[data-ready="true"] [data-editor-ready="true"]').count()) {
          await page.getByRole('button', { name: 'Run all' }).click();
          await page
            .locator('[data-notebook-status]', { hasText: /Ran|failed|could not/ })
            .waitFor({ timeout: 60_000 });
        }
        await page.waitForTimeout(500);
        const name = `${path.replace(/\/$/, '').replaceAll('/', '_') || 'home'}-${width}-${colorScheme}.png`;
        await page.screenshot({ path: join(outDir, name), fullPage: true });
        console.log(join('screenshots', name));
        await page.close();
      }
    }
  }
} finally {
  await browser.close();
  await site.close();
}
