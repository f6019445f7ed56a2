// Finds a Chromium for the e2e tests, in this order: $CHROMIUM_PATH, the system's chromium (Debian's
// package), Playwright's own download; on a machine with none, it asks Playwright to download one.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';

const SYSTEM_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

function onPath(name: string): string | undefined {
  try {
    const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    return found || undefined;
  } catch {
    return undefined;
  }
}

function playwrightCli(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('playwright-core/package.json')), 'cli.js');
}

export function findChromium(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is set to ${fromEnv}, but no file is there.`);
    return fromEnv;
  }
  for (const name of SYSTEM_NAMES) {
    const path = onPath(name);
    if (path) return path;
  }
  const downloaded = chromium.executablePath();
  if (existsSync(downloaded)) return downloaded;

  console.log('No Chromium found; downloading Playwright’s build (playwright-core install chromium)…');
  const result = spawnSync(process.execPath, [playwrightCli(), 'install', 'chromium'], { stdio: 'inherit' });
  if (result.status === 0 && existsSync(chromium.executablePath())) return chromium.executablePath();
  throw new Error(
    [
      'The end-to-end tests need Chromium, and none could be found or downloaded.',
      'Install one and run the tests again, for example:',
      '  Debian/Ubuntu:  sudo apt-get install -y chromium',
      '  macOS:          brew install --cask chromium',
      '  anywhere:       npx playwright-core install chromium',
      'or point CHROMIUM_PATH at a Chromium or Chrome binary.',
    ].join('\n'),
  );
}

/** Flags that keep Chromium quiet on a closed network and give it WebGL2 (SwiftShader) and WebGPU without a GPU. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--enable-unsafe-webgpu',
];
