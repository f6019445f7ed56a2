// What the service worker precaches, and the version that names its cache. Both come from the build
// output itself, so a rebuild with any changed byte gets a new version and replaces the old cache.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/**
 * Left out of the precache, each because no reader of this build needs it offline:
 * - checkpoint weights and the training token data (.bin): megabytes each; the engine keeps the ones a
 *   reader loaded in its own Cache Storage (models/engine/host.ts), under a name the service worker never
 *   deletes, so a reader who never trains never downloads the 3.6 MB training split;
 * - the threaded wasm build: it needs cross-origin isolation (COOP/COEP headers), which static hosts
 *   such as GitHub Pages cannot send, so tfjs never fetches it there;
 * - KaTeX's .woff and .ttf fonts: every browser that runs a service worker takes the .woff2 ones.
 */
const SKIP = [/\.safetensors$/, /\.bin$/, /threaded-simd[.-][\w-]+\.wasm$/, /\.(woff|ttf)$/, /^sw\.js$/, /\.map$/];

function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** `lessons/x/index.html` → `lessons/x/`, the URL a reader (and the static host) uses for the page. */
export function urlOf(path) {
  if (path === 'index.html') return './';
  return path.endsWith('/index.html') ? path.slice(0, -'index.html'.length) : path;
}

/**
 * The precache list (URLs relative to the site's base, sorted) and its version: a hash of every listed
 * file's path and bytes.
 */
export function precacheManifest(distDir) {
  const hash = createHash('sha256');
  const entries = filesUnder(distDir)
    .map((file) => ({ file, path: relative(distDir, file).split(sep).join('/') }))
    .filter(({ path }) => !SKIP.some((pattern) => pattern.test(path)))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  let bytes = 0;
  for (const { file, path } of entries) {
    const content = readFileSync(file);
    bytes += content.length;
    hash.update(path).update('\0').update(content).update('\0');
  }
  return { version: hash.digest('hex').slice(0, 16), urls: entries.map(({ path }) => urlOf(path)), bytes };
}
