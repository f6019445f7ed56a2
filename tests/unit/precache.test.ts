// The service worker's precache list and version, built from a small fake build output.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { precacheManifest } from '../../scripts/offline/precache.mjs';
import { writeServiceWorker } from '../../scripts/offline/write-service-worker.mjs';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function fakeBuild(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'precache-'));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const SITE = {
  'index.html': '<h1>home</h1>',
  'lessons/a/index.html': '<h1>a</h1>',
  '404.html': 'missing',
  '_astro/app.abc.js': 'console.log(1)',
  '_astro/KaTeX_Main.x.woff2': 'w2',
  '_astro/KaTeX_Main.x.woff': 'w1',
  '_astro/KaTeX_Main.x.ttf': 'ttf',
  '_astro/model.abc.safetensors': 'weights',
  '_astro/train.abc.bin': 'token ids',
  '_astro/tfjs-backend-wasm-simd.abc.wasm': 'simd',
  '_astro/tfjs-backend-wasm-threaded-simd.abc.wasm': 'threads',
  'pagefind/pagefind.js': 'pf',
  'pagefind/index/en_1.pf_index': 'idx',
};

describe('precache manifest', () => {
  it('lists pages by the URL a reader uses, and leaves out what no reader needs offline', () => {
    const { urls } = precacheManifest(fakeBuild(SITE));
    expect(urls).toEqual([
      '404.html',
      '_astro/KaTeX_Main.x.woff2',
      '_astro/app.abc.js',
      '_astro/tfjs-backend-wasm-simd.abc.wasm',
      './',
      'lessons/a/',
      'pagefind/index/en_1.pf_index',
      'pagefind/pagefind.js',
    ]);
  });

  it('the version changes with any precached byte and only with those', () => {
    const base = precacheManifest(fakeBuild(SITE)).version;
    expect(precacheManifest(fakeBuild(SITE)).version).toBe(base);
    expect(precacheManifest(fakeBuild({ ...SITE, 'lessons/a/index.html': '<h1>a!</h1>' })).version).not.toBe(base);
    expect(precacheManifest(fakeBuild({ ...SITE, 'lessons/b/index.html': 'b' })).version).not.toBe(base);
    // Weights are cached by the engine, not here: new weights get a new hashed URL anyway.
    expect(precacheManifest(fakeBuild({ ...SITE, '_astro/model.abc.safetensors': 'other' })).version).toBe(base);
  });

  it('sw.js starts with this build’s manifest, and is not part of it', () => {
    const dir = fakeBuild(SITE);
    const manifest = writeServiceWorker(dir);
    const sw = readFileSync(join(dir, 'sw.js'), 'utf8');
    const line = sw.split('\n').find((l) => l.startsWith('const PRECACHE = '))!;
    expect(JSON.parse(line.slice('const PRECACHE = '.length, -1))).toEqual({
      version: manifest.version,
      urls: manifest.urls,
    });
    expect(sw).toContain("self.addEventListener('fetch'");
    expect(writeServiceWorker(dir).version).toBe(manifest.version);
  });
});
