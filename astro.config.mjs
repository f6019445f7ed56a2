// @ts-check
import { defineConfig } from 'astro/config';
import mdx from '@astrojs/mdx';
import svelte from '@astrojs/svelte';
import { unified } from '@astrojs/markdown-remark';
import remarkMath from 'remark-math';
import rehypeKatex from 'rehype-katex';
import { chunkMap } from './scripts/chunk-map.mjs';
import { rehypeScrollableMath } from './scripts/rehype-scrollable-math.mjs';
import { siteExtras } from './scripts/site-integration.mjs';

// Sub-path deployments (GitHub Pages: https://user.github.io/moe-lab/) set BASE_PATH=/moe-lab at build time;
// the Pages workflow passes "" for a site at a domain's root, which means "/".
const base = process.env.BASE_PATH || '/';

export default defineConfig({
  srcDir: './site',
  publicDir: './public',
  base,
  trailingSlash: 'ignore',
  site: process.env.SITE_URL,
  integrations: [mdx(), svelte(), siteExtras()],
  // The dev toolbar's own module fails Vite's dependency pre-bundling on first load (HTTP 504) and adds
  // nothing a lesson author needs.
  devToolbar: { enabled: false },
  markdown: {
    // Astro 7's default Rust Markdown engine ignores remark/rehype plugins; KaTeX needs the unified pipeline.
    processor: unified({
      remarkPlugins: [remarkMath],
      rehypePlugins: [[rehypeKatex, { output: 'htmlAndMathml' }], rehypeScrollableMath],
    }),
  },
  vite: {
    build: { assetsInlineLimit: 0 },
    plugins: [chunkMap()],
    worker: { format: 'es' },
    // Pre-bundled up front, so the dev server does not discover them on first use and reload the page.
    optimizeDeps: {
      include: [
        '@observablehq/plot',
        '@tensorflow/tfjs-core',
        '@tensorflow/tfjs-backend-cpu',
        '@tensorflow/tfjs-backend-wasm',
        '@tensorflow/tfjs-backend-webgl',
        '@tensorflow/tfjs-backend-webgpu',
      ],
    },
  },
});
