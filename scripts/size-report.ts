// Prints what each built page costs on first load (JS and CSS, raw and gzip) and the chunks that load
// only later, when a widget hydrates. Reads dist/ and .build/chunk-map.json: run `npm run build` first.
// `--max-first-load-js-kb N` fails the run when any page's first-load JS exceeds N KB gzip.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const DIST = join(process.cwd(), 'dist');
const CHUNK_MAP = join(process.cwd(), '.build', 'chunk-map.json');

interface Size {
  raw: number;
  gzip: number;
}

const sizeOf = (content: string | Buffer): Size => ({
  raw: Buffer.byteLength(content),
  gzip: gzipSync(content, { level: 9 }).length,
});
const add = (a: Size, b: Size): Size => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip });
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
const ZERO: Size = { raw: 0, gzip: 0 };

function htmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === '_astro' ? [] : htmlFiles(path);
    return name.endsWith('.html') ? [path] : [];
  });
}

/** A URL in the built HTML → the file in dist/, whatever base path the site was built for. */
function fileFor(url: string): string {
  const assets = url.indexOf('/_astro/');
  if (assets === -1) throw new Error(`Unexpected asset URL ${url}: built assets live under _astro/.`);
  return join(DIST, url.slice(assets + 1));
}

function attr(tag: string, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
}

if (!existsSync(DIST)) {
  console.error('No dist/ folder: run `npm run build` first.');
  process.exit(1);
}
const pages = htmlFiles(DIST).sort();
const firstLoadFiles = new Set<string>();
const rows: { page: string; js: Size; css: Size }[] = [];

for (const page of pages) {
  const html = readFileSync(page, 'utf8');
  let js = ZERO;
  let css = ZERO;
  for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    const [, attrs = '', body = ''] = match;
    const src = attr(attrs, 'src');
    if (src) {
      const file = fileFor(src);
      firstLoadFiles.add(file);
      js = add(js, sizeOf(readFileSync(file)));
    } else if (!/type="application\/(ld\+)?json"/.test(attrs)) {
      js = add(js, sizeOf(body));
    }
  }
  for (const match of html.matchAll(/<link\b[^>]*>/g)) {
    const tag = match[0];
    const href = attr(tag, 'href');
    const rel = attr(tag, 'rel');
    if (!href || (rel !== 'stylesheet' && rel !== 'modulepreload')) continue;
    const file = fileFor(href);
    firstLoadFiles.add(file);
    const size = sizeOf(readFileSync(file));
    if (rel === 'stylesheet') css = add(css, size);
    else js = add(js, size);
  }
  for (const match of html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/g)) css = add(css, sizeOf(match[1] ?? ''));
  rows.push({ page: '/' + relative(DIST, page), js, css });
}

console.log('First load (before any widget hydrates)');
console.table(
  rows.map((r) => ({
    page: r.page,
    'JS raw': kb(r.js.raw),
    'JS gzip': kb(r.js.gzip),
    'CSS raw': kb(r.css.raw),
    'CSS gzip': kb(r.css.gzip),
  })),
);

const chunkMap: { chunks: { file: string; packages: string[] }[] } = existsSync(CHUNK_MAP)
  ? JSON.parse(readFileSync(CHUNK_MAP, 'utf8'))
  : { chunks: [] };
const lazy = readdirSync(join(DIST, '_astro'))
  .filter((name) => name.endsWith('.js') || name.endsWith('.wasm'))
  .map((name) => join(DIST, '_astro', name))
  .filter((file) => !firstLoadFiles.has(file))
  .map((file) => {
    const name = relative(DIST, file);
    const packages = chunkMap.chunks.find((c) => c.file === name)?.packages.filter((p) => p !== '(site)') ?? [];
    const size = sizeOf(readFileSync(file));
    const mainPackages = packages.filter((p) => !p.startsWith('d3-')).slice(0, 4);
    const d3 = packages.length - packages.filter((p) => !p.startsWith('d3-')).length;
    return {
      chunk: name,
      contains: [...mainPackages, ...(d3 ? [`${d3} d3 modules`] : [])].join(', ') || 'site code',
      raw: kb(size.raw),
      gzip: kb(size.gzip),
    };
  });
console.log('\nLazy chunks (fetched only when a widget nears the screen)');
console.table(lazy);

// Model and data files the widgets fetch on demand (cached for offline use): checkpoints, token data.
const data = readdirSync(join(DIST, '_astro'))
  .filter((name) => /\.(bin|safetensors)$/.test(name) || /^(manifest|tokenizer|config)\..*\.json$/.test(name))
  .map((name) => {
    const size = sizeOf(readFileSync(join(DIST, '_astro', name)));
    return { file: `_astro/${name}`, raw: kb(size.raw), gzip: kb(size.gzip) };
  });
if (data.length > 0) {
  console.log('\nModel and data files (fetched only when a widget asks for them)');
  console.table(data);
}

const budgetFlag = process.argv.indexOf('--max-first-load-js-kb');
if (budgetFlag !== -1) {
  const budget = Number(process.argv[budgetFlag + 1]);
  const over = rows.filter((r) => r.js.gzip > budget * 1024);
  if (over.length > 0) {
    for (const r of over)
      console.error(`${r.page}: first-load JS is ${kb(r.js.gzip)} gzip, over the ${budget} KB budget.`);
    process.exit(1);
  }
  console.log(`\nEvery page's first-load JS is within ${budget} KB gzip.`);
}
