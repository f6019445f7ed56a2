// Build steps that need the finished site: the Pagefind search index over every lesson, then the service
// worker, whose precache list includes that index. Part of `astro build`, so every build (the e2e tests',
// the deploy workflow's) has both.
import { fileURLToPath } from 'node:url';
import * as pagefind from 'pagefind';
import { writeServiceWorker } from './offline/write-service-worker.mjs';

async function writeSearchIndex(distDir, logger) {
  const { index, errors } = await pagefind.createIndex({});
  if (!index) throw new Error(`Pagefind could not start: ${errors.join('; ')}`);
  try {
    const indexed = await index.addDirectory({ path: distDir });
    if (indexed.errors.length > 0) throw new Error(`Pagefind: ${indexed.errors.join('; ')}`);
    // Only lessons carry data-pagefind-body; a build that indexes none has lost that attribute.
    if (indexed.page_count === 0) throw new Error('Pagefind indexed no pages: no lesson has data-pagefind-body.');
    const written = await index.writeFiles({ outputPath: `${distDir}/pagefind` });
    if (written.errors.length > 0) throw new Error(`Pagefind: ${written.errors.join('; ')}`);
    logger.info(`search index: ${indexed.page_count} pages`);
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
          `service worker: ${manifest.urls.length} files, ${(manifest.bytes / 1024).toFixed(0)} KB, version ${manifest.version}`,
        );
      },
    },
  };
}
