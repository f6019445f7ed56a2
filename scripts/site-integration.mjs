// Build steps that need the finished site: the Pagefind search index over every lesson, then the service
// worker, whose precache list includes that index. Part of `astro build`, so every build (the e2e tests',
// the deploy workflow's) has both.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pagefind from 'pagefind';
import { writeServiceWorker } from './offline/write-service-worker.mjs';

async function writeSearchIndex(distDir, logger) {
  // KaTeX writes each formula twice (MathML for screen readers, HTML for the eye): index the HTML once.
  // Widgets are left out: their server-rendered defaults are numbers, not prose a reader searches for.
  const { index, errors } = await pagefind.createIndex({ excludeSelectors: ['.katex-mathml', '.widget'] });
  if (!index) throw new Error(`Pagefind could not start: ${errors.join('; ')}`);
  try {
    const indexed = await index.addDirectory({ path: distDir });
    if (indexed.errors.length > 0) throw new Error(`Pagefind: ${indexed.errors.join('; ')}`);
    const written = await index.writeFiles({ outputPath: `${distDir}/pagefind` });
    if (written.errors.length > 0) throw new Error(`Pagefind: ${written.errors.join('; ')}`);
    // Pagefind also writes its ready-made search UIs; the header uses its JS API (site/client/search.ts),
    // so they would only be dead weight in the deploy and the offline cache.
    const out = join(distDir, 'pagefind');
    for (const name of readdirSync(out)) {
      if (/^pagefind-(component-ui|modular-ui|ui|highlight)\./.test(name)) rmSync(join(out, name));
    }
    // Only lessons carry data-pagefind-body; an index of no page means that attribute was lost.
    const entry = JSON.parse(readFileSync(join(out, 'pagefind-entry.json'), 'utf8'));
    const pages = Object.values(entry.languages).reduce((sum, language) => sum + language.page_count, 0);
    if (pages === 0) throw new Error('The search index has no page: no lesson carries data-pagefind-body.');
    logger.info(`search index: ${pages} of ${indexed.page_count} pages (the lessons)`);
  } finally {
    await pagefind.close();
  }
}

/** @returns {import('astro').AstroIntegration} */
export function siteExtras() {
  return {
    name: 'moe-lab-search-and-offline',
    hooks: {
      'astro:build:done': async ({ dir, logger }) => {
        const distDir = fileURLToPath(dir).replace(/\/$/, '');
        await writeSearchIndex(distDir, logger);
        const manifest = writeServiceWorker(distDir);
        logger.info(
          `service worker: ${manifest.urls.length} files, ${(manifest.bytes / 1e6).toFixed(1)} MB, version ${manifest.version}`,
        );
      },
    },
  };
}
