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

  it('a corrupted checkpoint file gets a clear message and a retry button, wrapped at 375 px', async () => {
    const watched = await openPage(browser, { viewport: { width: 375, height: 800 } });
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
    // The message carries two 64-digit hashes: they wrap instead of widening the page.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
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
      assert.match(await text(chosen, 'status'), /WebGPU is not available here: running on WebGL\./);
      assert.doesNotMatch(await text(chosen, 'status'), /No TensorFlow\.js backend could start/);
      assert.match(await text(chosen, 'status'), /in a Web Worker/);
    } finally {
      await noWebGpu.close();
    }
  });

  it('a failed route marks the routing on screen as stale, and the next good route clears the mark', async () => {
    const page = await ready(await openPage(browser));
    assert.equal(await page.locator('.results').getAttribute('data-stale'), 'false');
    await page.getByLabel('Text to route').fill('word '.repeat(1500));
    await page.getByRole('alert').filter({ hasText: 'tokens are routed at a time' }).waitFor();
    assert.equal(await page.locator('.results').getAttribute('data-stale'), 'true');
    assert.match(await text(page, 'stale-note'), /routing of the previous text/);
    await page.getByLabel('Text to route').fill('The jury said it was pleased.');
    await page.waitForFunction(() => document.querySelector('.results')?.getAttribute('data-stale') === 'false');
    assert.equal(await page.getByTestId('stale-note').count(), 0);
  });

  it('routes text longer than the context in sliding windows, and says so', async () => {
    const page = await ready(await openPage(browser));
    await page.getByLabel('Text to route').fill('The grand jury commented on a number of other topics. '.repeat(12));
    await page.waitForFunction(() =>
      /overlapping windows/.test(document.querySelector('[data-testid="context-use"]')?.textContent ?? ''),
    );
    const hint = await text(page, 'context-use');
    const tokens = Number(/This text is (\d+) tokens/.exec(hint)?.[1]);
    assert.ok(tokens > 64, hint);
    assert.match(hint, /windows of 64 tokens, each token with at least the 32 before it/);
    assert.equal(await page.locator('.strip').first().locator('.tok').count(), tokens);
  });

  it('shows a character made of byte tokens as one readable group, with its bytes', async () => {
    const page = await ready(await openPage(browser));
    await page.getByLabel('Text to route').fill('Привет, мир 日本');
    await page.locator('.strip .group').first().waitFor();
    const chips = await page.locator('.strip').first().locator('.tok').allTextContents();
    assert.ok(!chips.some((c) => c.includes('\uFFFD')), `chips: ${chips.join(' ')}`);
    assert.ok(chips.includes('日') || chips.some((c) => c.includes('日')), `chips: ${chips.join(' ')}`);
    assert.match((await page.locator('.strip .group').first().getAttribute('title')) ?? '', /UTF-8 bytes [0-9A-F]{2} /);
  });

  it('the link carries the text, and a link whose text is too long is cut with a notice', async () => {
    const page = await ready(await openPage(browser));
    const passage = 'A shared passage about the jury and the city';
    await page.getByLabel('Text to route').fill(passage);
    await page.waitForFunction((p) => new URL(location.href).searchParams.get('moe.text') === p, passage);
    const fresh = await ready(await openPage(browser), new URL(page.url()).search.slice(1));
    assert.equal(await fresh.getByLabel('Text to route').inputValue(), passage);
    // The fresh page routes the shared passage: its chips spell it (a leading space shows as ·).
    await fresh.waitForFunction(() => {
      const chips = [...document.querySelectorAll('.strip')][0]?.querySelectorAll('.tok') ?? [];
      return [...chips]
        .map((c) => c.textContent)
        .join('')
        .replaceAll('·', ' ')
        .endsWith('the jury and the city');
    });

    const long = await ready(
      await openPage(browser),
      `moe.backend=wasm&moe.text=${encodeURIComponent('a '.repeat(800))}`,
    );
    const notice = (await long.getByRole('status').filter({ hasText: 'could not be used' }).textContent()) ?? '';
    assert.match(notice, /1,600 characters long; links carry at most 1,000/);
    assert.equal((await long.getByLabel('Text to route').inputValue()).length, 1000);
  });

  it('Enter on Generate keeps focus on the button while it reads Stop, and after', async () => {
    const page = await ready(await openPage(browser));
    const button = page.getByTestId('generate');
    await page.evaluate(() => {
      const b = document.querySelector('[data-testid="generate"]')!;
      const w = window as unknown as { seen: string[] };
      w.seen = [];
      new MutationObserver(() =>
        w.seen.push(
          `${b.textContent?.trim()}:${document.activeElement === b ? 'focused' : document.activeElement?.tagName}`,
        ),
      ).observe(b, { childList: true, characterData: true, subtree: true });
    });
    await button.focus();
    await page.keyboard.press('Enter');
    await page.locator(`${WIDGET}[data-generations="1"]`).waitFor({ timeout: 120_000 });
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    assert.ok(seen.includes('Stop:focused'), `label and focus seen: ${seen.join(', ')}`);
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'generate');
    assert.equal((await button.textContent())?.trim(), 'Generate');
  });

  it('the token chips are one tab stop with arrow keys inside; the hidden loss table is not a tab stop', async () => {
    const page = await ready(await openPage(browser));
    await page.locator('.loss svg').waitFor({ timeout: 60_000 });
    await page.getByLabel('Checkpoint').focus();
    const stops: string[] = [];
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      const where = await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || !el.closest('.router-widget')) return null;
        if (el.closest('.visually-hidden')) return 'HIDDEN';
        return el.classList.contains('tok') ? 'chip' : `${el.tagName}`;
      });
      if (where === null) break;
      stops.push(where);
    }
    assert.ok(!stops.includes('HIDDEN'), `tab stops: ${stops.join(' ')}`);
    assert.equal(stops.filter((s) => s === 'chip').length, 1, `tab stops: ${stops.join(' ')}`);
    assert.ok(stops.length < 30, `${stops.length} tab stops in the widget: ${stops.join(' ')}`);

    const chip = page.locator('.strip .tok[tabindex="0"]');
    await chip.focus();
    const at = async () =>
      page.evaluate(() => [
        document.activeElement?.getAttribute('data-layer'),
        document.activeElement?.getAttribute('data-t'),
      ]);
    const [layer, t] = await at();
    await page.keyboard.press('ArrowRight');
    assert.deepEqual(await at(), [layer, String(Number(t) + 1)]);
    await page.keyboard.press('ArrowDown');
    assert.deepEqual(await at(), ['1', String(Number(t) + 1)]);
    await page.keyboard.press('Home');
    assert.deepEqual(await at(), ['1', '0']);
  });

  it('offline, a checkpoint never downloaded says so instead of "Failed to fetch"', async () => {
    const watched = await openPage(browser);
    const page = await ready(watched);
    await page.context().setOffline(true);
    await page.getByLabel('Checkpoint').selectOption('e16-top2');
    const error = page.getByTestId('engine-error');
    await error.waitFor({ timeout: 60_000 });
    assert.match((await error.textContent()) ?? '', /You are offline, and this checkpoint has not been downloaded yet/);
    assert.doesNotMatch((await error.textContent()) ?? '', /^Failed to fetch/);
    await page.context().setOffline(false);
  });
});
