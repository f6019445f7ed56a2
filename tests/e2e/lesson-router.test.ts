// Lesson 3's live model, in real Chromium: routing, K, checkpoints, corrupted downloads, every backend,
// memory over many changes, the main thread during generation, and a lost WebGL context.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from './chromium.ts';
import { launch, openPage, siteUrl, type WatchedPage } from './browser.ts';

const LESSON = 'lessons/moe-in-your-browser/';
const WIDGET = '.router-widget';

/** Opens the lesson with the widget on screen and waits for the model to be ready. */
async function ready(watched: WatchedPage, query = 'moe.backend=wasm'): Promise<Page> {
  const { page } = watched;
  await page.goto(siteUrl(`${LESSON}?${query}`));
  await page.locator(WIDGET).scrollIntoViewIfNeeded();
  await page.locator(`${WIDGET}[data-phase="ready"]`).waitFor({ timeout: 90_000 });
  await page.locator('[data-testid="routing"]').waitFor({ timeout: 60_000 });
  return page;
}

/** The top-1 expert of every token in every layer, as shown. */
async function shownRouting(page: Page): Promise<string> {
  return (await page.locator('.strip .tok').evaluateAll((els) => els.map((e) => e.getAttribute('data-expert')))).join(
    ',',
  );
}

async function text(page: Page, testId: string): Promise<string> {
  return ((await page.locator(`[data-testid="${testId}"]`).textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

describe('lesson 3: a real MoE transformer in the browser', () => {
  let browser: Browser;
  before(async () => (browser = await launch()));
  after(async () => browser.close());

  it('routes the example prompt and shows one strip per layer, in a Web Worker', async () => {
    const watched = await openPage(browser);
    const page = await ready(watched);
    assert.ok((await page.locator('.strip').count()) >= 1);
    assert.ok((await page.locator('.strip .tok').count()) > 5);
    assert.match(await text(page, 'status'), /Running on wasm in a Web Worker/);
    await page.locator('.plot-holder svg').first().waitFor();
    assert.deepEqual(watched.errors, []);
  });

  it('changing K changes the routing display and the readouts', async () => {
    const page = await ready(await openPage(browser));
    const before = { params: await text(page, 'active-params'), flops: await text(page, 'flops') };
    const chips = async () =>
      page.locator('.strip .tok').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    const labelsBefore = await chips();
    await page.getByLabel('Experts per token K').focus();
    await page.keyboard.press('Home'); // K = 1
    await page.waitForFunction(
      (old) => document.querySelector('[data-testid="active-params"]')?.textContent?.trim() !== old,
      before.params.trim(),
    );
    assert.notEqual(await text(page, 'active-params'), before.params);
    assert.notEqual(await text(page, 'flops'), before.flops);
    assert.notDeepEqual(await chips(), labelsBefore, 'the chips should list one expert each now');
    assert.match((await chips())[3] ?? '', /^Token ".*", layer 1: expert \d+ \(1\.00\)$/);
  });

  it('switching checkpoint reloads it with progress, and a checkpoint seen before comes from the offline cache', async () => {
    const page = await ready(await openPage(browser));
    const select = page.getByLabel('Checkpoint');
    const options = await select.locator('option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
    assert.ok(options.length >= 2, 'at least two checkpoints should be shipped');
    const current = await select.inputValue();
    const other = options.find((o) => o !== current)!;
    const phases: string[] = [];
    await page.exposeFunction('recordPhase', (p: string) => phases.push(p));
    await page.evaluate(() => {
      const widget = document.querySelector('.router-widget')!;
      new MutationObserver(() =>
        (window as unknown as { recordPhase(p: string): void }).recordPhase(widget.getAttribute('data-phase') ?? ''),
      ).observe(widget, { attributes: true, attributeFilter: ['data-phase'] });
    });
    await select.selectOption(other);
    await page.locator(`${WIDGET}[data-phase="ready"]`).waitFor({ timeout: 90_000 });
    assert.ok(phases.includes('loading'), `phases seen: ${phases.join(' → ')}`);
    assert.equal(new URL(page.url()).searchParams.get('moe.checkpoint'), other);
    // Back to the first one: its verified files now come from Cache Storage, for offline use.
    await select.selectOption(current);
    await page.locator(`${WIDGET}[data-phase="ready"]`).waitFor({ timeout: 90_000 });
    assert.match(await text(page, 'status'), /weights from the offline cache/);
  });

  it('a corrupted checkpoint file gets a clear message and a retry button', async () => {
    const watched = await openPage(browser);
    const { page } = watched;
    let corrupt = true;
    await page.context().route(/model\.[^/]*\.safetensors$|\.safetensors$/, async (route) => {
      const response = await route.fetch();
      const body = Buffer.from(await response.body());
      if (corrupt) body.writeUInt8(body.readUInt8(body.length - 1) ^ 0xff, body.length - 1); // one flipped byte
      await route.fulfill({ response, body });
    });
    await page.goto(siteUrl(`${LESSON}?moe.backend=wasm`));
    await page.locator(WIDGET).scrollIntoViewIfNeeded();
    const error = page.locator('[data-testid="engine-error"]');
    await error.waitFor({ timeout: 90_000 });
    assert.match((await error.textContent()) ?? '', /SHA-256 mismatch/);
    corrupt = false;
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.locator(`${WIDGET}[data-phase="ready"]`).waitFor({ timeout: 90_000 });
  });

  it('200 changes of K and prompt leave the number of tensors flat', async () => {
    const page = await ready(await openPage(browser));
    const tensors = async () => Number(await text(page, 'num-tensors'));
    const start = await tensors();
    const k = page.getByLabel('Experts per token K');
    const box = page.getByLabel('Text to route');
    for (let i = 0; i < 200; i++) {
      if (i % 2 === 0) {
        await k.focus();
        await page.keyboard.press(i % 4 === 0 ? 'ArrowRight' : 'ArrowLeft');
      } else {
        await box.fill(`The jury said ${i} of the voters`);
      }
    }
    await page.waitForTimeout(1500); // let the last debounced route finish
    await page.getByLabel('Text to route').fill('A final check of memory');
    await page.waitForFunction(() => document.querySelector('.strip .tok') !== null);
    await page.waitForTimeout(800);
    assert.equal(await tensors(), start, 'tensors leaked across 200 changes');
  });

  it('generates, streaming tokens, without blocking the main thread for more than 50 ms', async () => {
    const watched = await openPage(browser);
    const page = await ready(watched);
    await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({
        type: 'longtask',
      });
    });
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await page.locator(`${WIDGET}[data-generations="1"]`).waitFor({ timeout: 120_000 });
    const generated = await page.locator('[data-testid="generated"] .gen-text').textContent();
    assert.ok((generated ?? '').length > 0, 'no text was generated');
    assert.match(await text(page, 'ms-per-token'), /ms\/token · [\d.]+ tokens\/s/);
    // The KV cache is freed after generating: the engine holds as many tensors as after routing.
    const afterFirst = await text(page, 'num-tensors');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await page.locator(`${WIDGET}[data-generations="2"]`).waitFor({ timeout: 120_000 });
    assert.equal(await text(page, 'num-tensors'), afterFirst);
    const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
    assert.ok(
      longTasks.every((d) => d <= 50),
      `main-thread long tasks during generation: ${longTasks.map((d) => d.toFixed(0)).join(', ')} ms`,
    );
    assert.deepEqual(watched.errors, []);
  });

  it('gives the same routing on webgl and webgpu (software adapters) as on wasm', async () => {
    const reference = await shownRouting(await ready(await openPage(browser), 'moe.backend=wasm'));
    for (const backend of ['webgl', 'webgpu']) {
      const page = await ready(await openPage(browser), `moe.backend=${backend}`);
      assert.match(await text(page, 'status'), new RegExp(`Running on ${backend}`));
      const routing = await shownRouting(page);
      const a = reference.split(',');
      const b = routing.split(',');
      const same = a.filter((e, i) => e === b[i]).length / a.length;
      // Float rounding differs between backends and can flip a near-tie; nearly all must agree.
      assert.ok(same >= 0.95, `${backend} agrees with wasm on ${(same * 100).toFixed(0)} % of tokens`);
    }
  });

  it('recovers from a lost WebGL context by moving to the next backend', async () => {
    const page = await ready(await openPage(browser), 'moe.backend=webgl');
    await page.locator(WIDGET).dispatchEvent('moe-lab:lose-context');
    await page.waitForFunction(
      () => /Running on wasm/.test(document.querySelector('[data-testid="status"]')?.textContent ?? ''),
      undefined,
      { timeout: 60_000 },
    );
    assert.match(await text(page, 'fallback-note'), /webgl \(the WebGL context was lost\)/);
    await page.getByLabel('Text to route').fill('Still working after the context was lost');
    await page.waitForFunction(() => document.querySelectorAll('.strip .tok').length > 5);
  });

  it('where the worker cannot run, the engine runs on the main thread and says so', async () => {
    const watched = await openPage(browser);
    // As if the browser refused module workers: the worker's script never loads.
    await watched.page.context().route(/\/worker[-.][^/]*\.js$/, (route) => route.abort());
    const page = await ready(watched);
    assert.match(await text(page, 'status'), /on the main thread/);
    assert.ok((await page.locator('.strip .tok').count()) > 5);
  });

  it('without WebGPU, the best-available choice says it fell back and still works', async () => {
    const noWebGpu = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH,
      args: CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu'),
    });
    try {
      const page = await ready(await openPage(noWebGpu), 'moe.backend=auto');
      assert.match(await text(page, 'fallback-note'), /Fell back from webgpu/);
      assert.match(await text(page, 'status'), /Running on webgl/);
      // Asked for WebGPU by name: the reader is told, and the engine stays in its worker.
      const chosen = await ready(await openPage(noWebGpu), 'moe.backend=webgpu');
      assert.match(await text(chosen, 'status'), /webgpu could not start here .*so the engine chose another backend/);
      assert.match(await text(chosen, 'status'), /in a Web Worker/);
    } finally {
      await noWebGpu.close();
    }
  });
});
