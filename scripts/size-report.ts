// Prints what each built page costs on first load (JS and CSS, raw and gzip) and the chunks that load
// only later, when a widget hydrates. Reads dist/ (or `--dir <folder>`) and .build/chunk-map.json: run
// `npm run build` first. `--max-first-load-js-kb N` fails the run when any page's first-load JS exceeds N kB gzip.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const dirFlag = process.argv.indexOf('--dir');
const DIST = join(process.cwd(), dirFlag === -1 ? 'dist' : (process.argv[dirFlag + 1] ?? 'dist'));
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
// kB = 1,000 bytes, the site's one byte unit (components/format.ts).
const kb = (bytes: number): string => `${(bytes / 1000).toFixed(1)} kB`;
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

/**
 * A first-load script and every module it imports statically (`import{t}from"./progress.js"`), each once:
 * the browser fetches them all before the script runs. Dynamic `import("./x.js")` loads later and is not
 * followed.
 */
function withStaticImports(file: string, seen: Set<string>): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  const imports = [...source.matchAll(/\b(?:import|export)\s*(?:[^"'()]*?\bfrom\s*)?["'](\.{1,2}\/[^"']+\.js)["']/g)];
  return [file, ...imports.flatMap((m) => withStaticImports(join(dirname(file), m[1]!), seen))];
}

if (!existsSync(DIST)) {
  console.error(`No ${relative(process.cwd(), DIST)}/ folder: run \`npm run build\` first.`);
  process.exit(1);
}
const pages = htmlFiles(DIST).sort();
const firstLoadFiles = new Set<string>();
const rows: { page: string; js: Size; css: Size }[] = [];

for (const page of pages) {
  const html = readFileSync(page, 'utf8');
  let js = ZERO;
  let css = ZERO;
  const pageScripts = new Set<string>();
  const addScript = (file: string): void => {
    for (const f of withStaticImports(file, pageScripts)) {
      firstLoadFiles.add(f);
      js = add(js, sizeOf(readFileSync(f)));
    }
  };
  for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    const [, attrs = '', body = ''] = match;
    const src = attr(attrs, 'src');
    if (src) {
      addScript(fileFor(src));
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
    if (rel === 'modulepreload') {
      addScript(file);
      continue;
    }
    firstLoadFiles.add(file);
    css = add(css, sizeOf(readFileSync(file)));
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

// The playground's own chunks, by the source file each is named after: its pages load them, no lesson does.
// The sandbox's two bundles are built as workers (not in the chunk map) and fetched as text for the frame.
const PLAYGROUND_CHUNKS: [RegExp, string][] = [
  [/^NotebookApp\./, 'notebook page: CodeMirror 6 editor, cells, outputs, lab port (page side)'],
  [/^MyNotebooks\./, 'playground index: My notebooks, import'],
  [/^notebook-files\./, 'notebook formats, export and import, IndexedDB store'],
  [/^notebook-params\./, "an example's link parameters"],
  [/^markdown\./, "prose renderer for a reader's own notebooks (micromark, KaTeX)"],
  [/^guest-worker-/, "sandbox worker: sucrase, acorn, the cell runner, the lab's guest side, helpers"],
  [/^plot-render-/, 'sandbox frame: Observable Plot, drawing charts as SVG'],
];
const playground = lazy.flatMap((row) => {
  const name = row.chunk.replace(/^_astro\//, '');
  const match = PLAYGROUND_CHUNKS.find(([pattern]) => pattern.test(name));
  return match ? [{ chunk: row.chunk, is: match[1], raw: row.raw, gzip: row.gzip }] : [];
});
if (playground.length > 0) {
  console.log('\nPlayground chunks (only the /playground/ pages fetch them)');
  console.table(playground);
}

/** Every file under a folder of dist/, summed. */
function folderSize(dir: string): { files: number; size: Size } {
  if (!existsSync(dir)) return { files: 0, size: ZERO };
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  const size = files.reduce((sum, e) => add(sum, sizeOf(readFileSync(join(e.parentPath, e.name)))), ZERO);
  return { files: files.length, size };
}

// The service worker and what it precaches: fetched in the background after the first visit, not part
// of any page's first load (the registration in the page's own script is).
const SW = join(DIST, 'sw.js');
if (existsSync(SW)) {
  const source = readFileSync(SW, 'utf8');
  const manifest = JSON.parse(/^const PRECACHE = (.*);$/m.exec(source)?.[1] ?? '{"urls":[]}') as {
    version: string;
    urls: string[];
  };
  const precached = manifest.urls.reduce(
    (sum, url) => add(sum, sizeOf(readFileSync(join(DIST, url.endsWith('/') ? `${url}index.html` : url)))),
    ZERO,
  );
  const sw = sizeOf(source);
  const search = folderSize(join(DIST, 'pagefind'));
  console.log(
    '\nOffline and search (fetched after the first load: the precache in the background, search when opened)',
  );
  console.table([
    { file: 'sw.js', contains: `service worker, version ${manifest.version}`, raw: kb(sw.raw), gzip: kb(sw.gzip) },
    {
      file: '(precache)',
      contains: `${manifest.urls.length} files the service worker keeps for offline use`,
      raw: kb(precached.raw),
      gzip: kb(precached.gzip),
    },
    {
      file: 'pagefind/',
      contains: `search index and Pagefind's script, ${search.files} files`,
      raw: kb(search.size.raw),
      gzip: kb(search.size.gzip),
    },
  ]);
} else {
  console.log('\nNo dist/sw.js: this build has no service worker.');
}

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
  const over = rows.filter((r) => r.js.gzip > budget * 1000);
  if (over.length > 0) {
    for (const r of over)
      console.error(`${r.page}: first-load JS is ${kb(r.js.gzip)} gzip, over the ${budget} kB budget.`);
    process.exit(1);
  }
  console.log(`\nEvery page's first-load JS is within ${budget} kB gzip.`);
}
