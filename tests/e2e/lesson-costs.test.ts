// Lesson 8's widgets, in real Chromium on wasm: the communication calculator's bytes per token for Mixtral
// 8x7B (2 × 2 × 4096 × 2) and its verdicts; the memory view's fit and the family's resident bytes measured
// in the engine, growing with N; the fine-tuning experiment runs for the dense and the 8-expert checkpoint,
// plots both, shows both gaps and exports a zip that loads; no console errors, tensors flat, 375 px.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { checkpointFilesFromZip } from '../../models/checkpoint/checkpoint-zip.ts';
import { Lab } from '../../models/lab.ts';
import { launch, openPage, seriousA11yViolations, siteUrl } from './browser.ts';

const LESSON = 'lessons/the-costs/';

describe('lesson 8: the costs', () => {
  let browser: Browser;
  before(async () => (browser = await launch()));
  after(async () => browser.close());

  it('computes, measures and fine-tunes', async () => {
    const { page, errors } = await openPage(browser, { viewport: { width: 375, height: 800 }, acceptDownloads: true });
    await page.goto(siteUrl(`${LESSON}?engine-hook&mem.backend=wasm&ft.backend=wasm&ft.steps=10&ft.slice=2048`));

    await page.locator('.comm-widget').scrollIntoViewIfNeeded();
    await page.locator('.comm-widget[data-hydrated="true"]').waitFor();
    assert.match((await page.getByTestId('comm-bytes-layer').textContent()) ?? '', /2 × 2 × 4,096 × 2 = 32,768 B/);
    await page.getByTestId('comm-capacity').selectOption('1.25');
    assert.match((await page.getByTestId('comm-bytes-layer').textContent()) ?? '', /40,960 B/);
    assert.match(page.url(), /comm\.capacity=1\.25/);
    await page.getByTestId('comm-devices').fill('1');
    assert.match((await page.locator('#comm-devices-problem').textContent()) ?? '', /from 2 to 4,096/);
    assert.match((await page.getByTestId('decision-verdict').textContent()) ?? '', /\w/);

    await page.locator('.mem-widget').scrollIntoViewIfNeeded();
    await page.locator('.mem-widget[data-hydrated="true"]').waitFor();
    const fit = await page
      .locator('[data-testid="fit-table"] tr[data-model="mixtral-8x7b"] [data-testid="max-experts"]')
      .textContent();
    assert.match(fit ?? '', /^6/, 'H100 80 GB, bf16, 8 GB kept free: 6 experts of Mixtral 8x7B’s shape');
    await page.getByTestId('mem-measure').click();
    await page.locator('.mem-widget[data-phase="done"]').waitFor({ timeout: 120_000 });
    const resident = await page
      .locator('[data-testid="resident-table"] tbody tr')
      .evaluateAll((rows) =>
        rows.map((r) => [Number(r.children[1]!.textContent), Number(r.children[2]!.getAttribute('data-bytes'))]),
      );
    assert.deepEqual(
      resident.map(([n]) => n),
      [1, 4, 8, 16],
    );
    for (let i = 2; i < resident.length; i++)
      assert.ok(resident[i]![1]! > resident[i - 1]![1]!, 'more experts, more bytes held');

    await page.locator('.ft-widget').scrollIntoViewIfNeeded();
    await page.locator('.ft-widget[data-hydrated="true"]').waitFor();
    await page.getByTestId('ft-run').click();
    await page.locator('.ft-widget[data-runs="1"]').waitFor({ timeout: 180_000 });
    assert.equal(
      await page.locator('.ft-widget').getAttribute('data-phase'),
      'done',
      (await page.locator('.ft-widget').textContent()) ?? '',
    );
    const gaps = await page.locator('[data-testid="ft-gaps"] [data-testid="gap-value"]').allTextContents();
    assert.equal(gaps.length, 2, 'a gap for each model');
    assert.ok(
      gaps.every((g) => Number.isFinite(Number(g))),
      gaps.join(', '),
    );
    assert.ok(
      (await page.locator('.ft-widget .plot-holder svg path[d]').count()) >= 4,
      'train and held-out lines for both',
    );
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('ft-export-e8-top2').click(),
    ]);
    const lab = await Lab.load(await checkpointFilesFromZip(new Uint8Array(readFileSync((await download.path())!))), {
      backend: 'wasm',
    });
    assert.equal(lab.config.num_local_experts, 8);
    lab.dispose();

    const tensors = await page.evaluate(async () => {
      const engine = (
        globalThis as { moeLabEngine?: { request(t: string, p: object): Promise<{ numTensors: number }> } }
      ).moeLabEngine!;
      return (await engine.request('memory', {})).numTensors;
    });
    await page.getByTestId('ft-run').click();
    await page.locator('.ft-widget[data-runs="2"]').waitFor({ timeout: 180_000 });
    const after = await page.evaluate(async () => {
      const engine = (
        globalThis as { moeLabEngine?: { request(t: string, p: object): Promise<{ numTensors: number }> } }
      ).moeLabEngine!;
      return (await engine.request('memory', {})).numTensors;
    });
    assert.equal(after, tensors, 'a second fine-tune leaves as many tensors as the first');

    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    assert.deepEqual(await seriousA11yViolations(page), []);

    // The quiz's live question: the calculator's bytes at capacity factor 1.25, in kB.
    const q = page.locator('[data-question="live-comm"]');
    await page.locator('[data-testid="quiz"]').scrollIntoViewIfNeeded();
    await page.locator('[data-testid="quiz"][data-hydrated="true"]').waitFor();
    await q.getByLabel(/Your answer/).fill('40.96');
    await q.getByRole('button', { name: 'Check' }).click();
    // The first line says it is measuring; the verdict replaces it.
    const verdict = q.locator('.result p', { hasText: /^(Right|Not quite)/ }).first();
    await verdict.waitFor({ timeout: 30_000 });
    assert.match((await verdict.textContent()) ?? '', /^Right\. .*40\.96 kB/);
    assert.deepEqual(errors, []);
  });
});
