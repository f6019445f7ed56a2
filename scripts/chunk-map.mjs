// A Vite plugin that records which npm packages end up in which browser chunk, in .build/chunk-map.json.
// The size report and the e2e tests read it to tell "Plot's chunk" or "tfjs's chunk" by content, not by
// guessing from hashed file names.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const CHUNK_MAP_PATH = join(process.cwd(), '.build', 'chunk-map.json');

/** `…/node_modules/@observablehq/plot/src/marks/bar.js` → `@observablehq/plot`; our own files → `(site)`. */
function packageOf(moduleId) {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(moduleId);
  return match ? match[1] : '(site)';
}

/** @returns {import('vite').Plugin} */
export function chunkMap() {
  return {
    name: 'moe-lab-chunk-map',
    apply: 'build',
    generateBundle(_options, bundle) {
      if (this.environment?.name !== 'client') return;
      const chunks = Object.values(bundle)
        .filter((item) => item.type === 'chunk')
        .map((chunk) => ({
          file: chunk.fileName,
          isEntry: chunk.isEntry,
          isDynamicEntry: chunk.isDynamicEntry,
          packages: [...new Set(chunk.moduleIds.map(packageOf))].sort(),
        }));
      mkdirSync(dirname(CHUNK_MAP_PATH), { recursive: true });
      writeFileSync(CHUNK_MAP_PATH, JSON.stringify({ chunks }, null, 2));
    },
  };
}
