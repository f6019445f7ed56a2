// The e2e runner: builds the site under a sub-path (as GitHub Pages would host it) into its own folder,
// so a reader's dist/ is left alone, serves it on 127.0.0.1, finds a Chromium, and runs every
// tests/e2e/*.test.ts with Node's test runner.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findChromium } from './chromium.ts';
import { serveStatic } from './static-server.ts';

const BASE_PATH = '/moe-lab';
/** Not dist/: that is `npm run build`'s, and a reader may be serving it. */
const OUT_DIR = '.e2e-dist';
const root = process.cwd();

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const chromiumPath = findChromium();
if (!process.argv.includes('--no-build')) {
  run(process.execPath, [join(root, 'node_modules/astro/bin/astro.mjs'), 'build', '--outDir', OUT_DIR], {
    BASE_PATH,
    ASTRO_TELEMETRY_DISABLED: '1',
  });
}

const site = await serveStatic(join(root, OUT_DIR), BASE_PATH);
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const files = readdirSync(join(root, 'tests/e2e'))
  .filter((f) => f.endsWith('.test.ts') && (only.length === 0 || only.some((o) => f.includes(o))))
  .map((f) => join('tests/e2e', f));

console.log(`Serving ${OUT_DIR}/ at ${site.url}; Chromium: ${chromiumPath}`);
// The server runs in this process, so the tests run in a child that does not block it (spawn, not spawnSync).
const child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...files], {
  stdio: 'inherit',
  env: { ...process.env, E2E_SITE_URL: site.url, E2E_OUT_DIR: join(root, OUT_DIR), CHROMIUM_PATH: chromiumPath },
});
const code: number = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
await site.close();
process.exit(code);
