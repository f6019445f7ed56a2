// `npm run bench:playground`: how long a reader waits, in real Chromium, from opening a notebook to its first
// cell being editable (the CodeMirror editor is in the page) and runnable (its Run gave a result: the sandbox
// frame and its worker started, the cell compiled and ran). Cold: a fresh browser context each time (no HTTP
// cache, no service worker); warm: the same page opened again in that context. Median of --runs.
// Prints a table and writes bench-results/playground.json. Builds the site first unless --no-build.
//   node scripts/bench-playground.ts [--notebook playground-tour] [--runs 5] [--no-build]
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium } from '../tests/e2e/chromium.ts';
import { serveStatic } from '../tests/e2e/static-server.ts';
import { parseFlags } from './args.ts';

const { flags } = parseFlags(
  {
    notebook: { type: 'string', default: 'playground-tour', help: 'the example notebook to open' },
    runs: { type: 'number', integer: true, min: 1, default: 5, help: 'openings per case; the median is kept' },
    'no-build': { type: 'boolean', help: 'use the existing build' },
    dir: { type: 'string', default: 'dist', help: 'the built site to serve (with --no-build)' },
  },
  process.argv.slice(2),
);

if (!flags['no-build']) {
  const build = spawnSync(process.execPath, ['node_modules/astro/bin/astro.mjs', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

interface Opening {
  /** From the navigation's start to the first cell's editor in the page, ms. */
  editable: number;
  /** From the navigation's start to the first cell's result after pressing its Run at once, ms. */
  runnable: number;
}

async function open(context: BrowserContext, url: string): Promise<Opening> {
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'commit' });
  const editor = page.locator('.cell-code [data-editor-ready="true"] .cm-content').first();
  await editor.waitFor({ timeout: 60_000 });
  const editable = await page.evaluate(() => performance.now());
  await page
    .locator('.cell-code')
    .first()
    .getByRole('button', { name: /^Run cell/ })
    .click();
  await page
    .locator('.cell-code[data-status="ok"], .cell-code[data-status="error"]')
    .first()
    .waitFor({ timeout: 60_000 });
  const runnable = await page.evaluate(() => performance.now());
  await page.close();
  return { editable, runnable };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

const site = await serveStatic(join(process.cwd(), flags.dir), '/');
const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
const url = new URL(`playground/${flags.notebook}/`, site.url).toString();
const cold: Opening[] = [];
const warm: Opening[] = [];
try {
  for (let i = 0; i < flags.runs; i++) {
    // A context without a service worker: the first opening fetches everything over the network.
    const context = await browser.newContext({ serviceWorkers: 'block' });
    cold.push(await open(context, url));
    warm.push(await open(context, url));
    await context.close();
  }
} finally {
  await browser.close();
  await site.close();
}

const rows = [
  { case: 'cold', editable: median(cold.map((o) => o.editable)), runnable: median(cold.map((o) => o.runnable)) },
  { case: 'warm', editable: median(warm.map((o) => o.editable)), runnable: median(warm.map((o) => o.runnable)) },
];
console.log(`Opening /playground/${flags.notebook}/ (median of ${flags.runs}, ms from the navigation's start)`);
console.table(
  rows.map((r) => ({ case: r.case, 'editable ms': Math.round(r.editable), 'runnable ms': Math.round(r.runnable) })),
);
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? '?', loadavg: loadavg().map((l) => l.toFixed(1)) };
console.log(`Machine: ${machine.cpus} × ${machine.cpu}, load average ${machine.loadavg.join(' ')}`);
mkdirSync('bench-results', { recursive: true });
writeFileSync(
  'bench-results/playground.json',
  JSON.stringify({ notebook: flags.notebook, runs: flags.runs, machine, rows, cold, warm }, null, 2),
);
