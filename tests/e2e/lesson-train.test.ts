// Lesson 3's "Train one yourself", in real Chromium on wasm: the browser reproduces the Node CLI's losses
// (e8-top2's shipped log) step for step, streams progress, pauses, resumes, cancels, exports a zip whose
// logits in `npm run moe -- logits` match the browser's; hiding the tab pauses the run and says so; a race
// streams both models; a reload keeps the last run.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { checkpointFilesFromZip } from '../../models/checkpoint/checkpoint-zip.ts';
import { launch, openPage, seriousA11yViolations, siteUrl } from './browser.ts';

const LESSON = 'lessons/moe-in-your-browser/';
const WIDGET = '.train-widget';

async function ready(page: Page, query: string): Promise<void> {
  await page.goto(siteUrl(`${LESSON}?engine-hook&${query}`));
  await page.locator(WIDGET).scrollIntoViewIfNeeded();
  await page.locator(`${WIDGET}[data-phase="ready"]`).waitFor({ timeout: 120_000 });
}

const lane = (page: Page, id: string) => page.locator(`[data-testid="train-lane-${id}"]`);
const stepsOf = async (page: Page, id: string): Promise<number> =>
  Number(await lane(page, id).getAttribute('data-steps'));
const lossesOf = async (page: Page, id: string): Promise<number[]> =>
  JSON.parse((await lane(page, id).getAttribute('data-first-losses')) ?? '[]') as number[];

async function untilSteps(page: Page, id: string, n: number, timeout = 240_000): Promise<void> {
  await page.waitForFunction(
    ([sel, min]) => Number(document.querySelector(sel as string)?.getAttribute('data-steps') ?? 0) >= (min as number),
    [`[data-testid="train-lane-${id}"]`, n],
    { timeout, polling: 100 },
  );
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('lesson 3: training in the browser', () => {
  let browser: Browser;
  before(async () => (browser = await launch()));
  after(async () => browser.close());

  it("reproduces the Node CLI's first 50 losses, pauses, resumes, cancels and exports a zip the CLI reads", async () => {
    const { page, errors } = await openPage(browser, { acceptDownloads: true });
    // e8-top2's recipe exactly: 1,500 steps (so the same schedule), seed 1, on WebAssembly.
    await ready(page, 'train.mode=moe&train.steps=1500&train.seed=1&train.backend=wasm');
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await untilSteps(page, 'moe', 10);

    await page.getByRole('button', { name: 'Pause' }).click();
    // The engine says when it has stopped (after the step in flight); from then on no step may run.
    await page.locator(`${WIDGET}[data-engine-paused="true"]`).waitFor({ timeout: 60_000 });
    const held = await stepsOf(page, 'moe');
    await page.waitForTimeout(1500);
    assert.equal(await stepsOf(page, 'moe'), held, 'no step runs while paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await untilSteps(page, 'moe', 52);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator(`${WIDGET}[data-phase="done"]`).waitFor({ timeout: 60_000 });
    assert.match((await page.locator('[data-testid="train-message"]').textContent()) ?? '', /Cancelled/);
    const stepsDone = await stepsOf(page, 'moe');
    assert.ok(stepsDone < 1500, 'cancel stopped the run');

    const browserLosses = (await lossesOf(page, 'moe')).slice(0, 50);
    const nodeLosses = readFileSync('models/checkpoints/e8-top2/train-log.jsonl', 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { loss?: number })
      .filter((l) => l.loss !== undefined)
      .slice(0, 50)
      .map((l) => l.loss!);
    assert.equal(browserLosses.length, 50);
    browserLosses.forEach((loss, i) =>
      assert.ok(Math.abs(loss - nodeLosses[i]!) <= 1e-4, `step ${i}: browser ${loss}, Node ${nodeLosses[i]}`),
    );
    assert.ok(mean(browserLosses.slice(-5)) < mean(browserLosses.slice(0, 5)) - 0.5, 'the loss falls');
    for (const id of ['train-tokens-per-second', 'train-ms-per-step', 'train-val-loss']) {
      const text = (await lane(page, 'moe').locator(`[data-testid="${id}"]`).textContent()) ?? '';
      if (id !== 'train-val-loss') assert.ok(Number(text.replace(/,/g, '')) > 0, `${id}: ${text}`);
    }
    assert.match((await page.locator('[data-testid="train-load"]').textContent()) ?? '', /layer 2/);

    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export zip' }).click();
    const download = await downloading;
    const dir = mkdtempSync(join(tmpdir(), 'moe-lab-export-'));
    try {
      const zipPath = join(dir, 'run.zip');
      await download.saveAs(zipPath);
      for (const [name, bytes] of await checkpointFilesFromZip(new Uint8Array(readFileSync(zipPath)))) {
        writeFileSync(join(dir, name), bytes);
      }
      const ids = [0, 464, 17, 5, 99, 3];
      const cli = JSON.parse(
        execFileSync(process.execPath, ['scripts/moe.ts', 'logits', dir, '--ids', ids.join(',')], { encoding: 'utf8' })
          .trim()
          .split('\n')
          .at(-1)!,
      ) as { logits: number[][] };
      const inBrowser = await page.evaluate(
        (ids) =>
          (
            globalThis as unknown as {
              moeLabEngine: { request(t: string, p: unknown): Promise<number[][]> };
            }
          ).moeLabEngine.request('trainedLogits', { run: 'moe', ids }),
        ids,
      );
      let worst = 0;
      cli.logits.flat().forEach((v, i) => (worst = Math.max(worst, Math.abs(v - inBrowser.flat()[i]!))));
      assert.ok(worst <= 1e-4, `largest logit difference ${worst}`);

      // Import reads the zip back and verifies it; a damaged one gets a sentence.
      await page.locator('[data-testid="train-import"]').setInputFiles(zipPath);
      assert.match(
        (await page.locator('[data-testid="train-import-ok"]').textContent({ timeout: 30_000 })) ?? '',
        /Read and verified: 8 experts, top-2,\s+2 layers/,
      );
      const damaged = new Uint8Array(readFileSync(zipPath));
      damaged[damaged.length >> 1] = damaged[damaged.length >> 1]! ^ 0xff;
      const damagedPath = join(dir, 'damaged.zip');
      writeFileSync(damagedPath, damaged);
      await page.locator('[data-testid="train-import"]').setInputFiles(damagedPath);
      assert.match(
        (await page.locator('[data-testid="train-import-error"]').textContent({ timeout: 30_000 })) ?? '',
        /not a checkpoint this page can read/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // A reload keeps the run (IndexedDB), with its export.
    await page.reload();
    await page.locator(WIDGET).scrollIntoViewIfNeeded();
    await lane(page, 'moe').waitFor({ timeout: 30_000 });
    assert.equal(await stepsOf(page, 'moe'), stepsDone);
    assert.equal(await page.getByRole('button', { name: 'Export zip' }).count(), 1);
    assert.deepEqual(errors, []);
  });

  it('pauses by itself when the tab is hidden and says so', async () => {
    const { page } = await openPage(browser);
    await ready(page, 'train.mode=dense&train.steps=60&train.backend=wasm');
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await untilSteps(page, 'dense', 2);
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await page.locator(`${WIDGET}[data-hidden-pause="true"]`).waitFor();
    assert.match(
      (await page.locator('[data-testid="train-hidden-note"]').textContent()) ?? '',
      /Paused because this tab was hidden/,
    );
    await page.locator(`${WIDGET}[data-engine-paused="true"]`).waitFor({ timeout: 60_000 });
    const held = await stepsOf(page, 'dense');
    await page.waitForTimeout(1000);
    assert.equal(await stepsOf(page, 'dense'), held);
    assert.deepEqual(await seriousA11yViolations(page), []);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator(`${WIDGET}[data-phase="done"]`).waitFor({ timeout: 60_000 });
  });

  it('races dense against 8 experts for 60 steps in one request, streaming both; the loss falls in both', async () => {
    const { page } = await openPage(browser);
    await ready(page, 'train.mode=race&train.steps=60&train.backend=wasm');
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await untilSteps(page, 'dense', 5);
    // Interleaved: the 8-expert lane is moving while the dense one is still far from done.
    assert.ok((await stepsOf(page, 'moe')) >= 1);
    assert.ok((await stepsOf(page, 'dense')) < 60);
    await page.locator(`${WIDGET}[data-phase="done"]`).waitFor({ timeout: 480_000 });
    for (const id of ['dense', 'moe']) {
      assert.equal(await stepsOf(page, id), 60);
      const losses = await lossesOf(page, id);
      assert.ok(mean(losses.slice(-5)) < mean(losses.slice(0, 5)) - 0.5, `${id}: the loss falls`);
    }
    assert.equal(await page.getByRole('button', { name: 'Export zip' }).count(), 2);
  });
});
