import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launch, openPage, siteUrl } from './browser.ts';

const LESSON = 'lessons/moe-inside-the-transformer/';

async function calculator(page: Page): Promise<void> {
  await page.locator('.calc').scrollIntoViewIfNeeded();
  await page.locator('.calc[data-hydrated="true"]').waitFor();
}

const text = async (page: Page, testId: string): Promise<string> =>
  (await page.getByTestId(testId).textContent())?.trim() ?? '';

/** The numbers the chart was last drawn with, from its accessible label. */
const chartLabel = async (page: Page): Promise<string> =>
  (await page.locator('.calc .plot-holder').getAttribute('aria-label')) ?? '';

describe('lesson 2 and its parameter calculator', () => {
  let browser: Browser;
  before(async () => (browser = await launch()));
  after(async () => browser.close());

  it('renders the worked Mixtral arithmetic with KaTeX and the build-time counts in the prose', async () => {
    const { page } = await openPage(browser);
    await page.goto(siteUrl(LESSON));
    assert.ok((await page.locator('.katex-display').count()) >= 5, 'expected display equations');
    assert.equal(await page.locator('.katex-error').count(), 0, 'a formula failed to render');
    const prose = (await page.locator('.prose').textContent()) ?? '';
    assert.match(prose, /46,702,792,704/);
    assert.match(prose, /Eight whole copies would be 57\.9B/);
  });

  it('choosing a preset updates the numbers, the chart and the published figure', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(siteUrl(LESSON));
    await calculator(page);
    assert.equal(await text(page, 'total'), '46.7B');
    assert.equal(await text(page, 'active'), '12.9B');
    await page.locator('.calc .plot-holder svg').first().waitFor();
    assert.match(await chartLabel(page), /46\.7B parameters in total, 12\.9B active/);
    assert.match(await text(page, 'published'), /Published total: 46\.7B/);

    await page.getByLabel('Model', { exact: true }).selectOption('deepseek-v3');
    assert.equal(await text(page, 'total'), '671B');
    assert.equal(await text(page, 'active-no-embedding'), '36.6B');
    assert.match(await chartLabel(page), /671B parameters in total/);
    const published = await text(page, 'published');
    assert.match(
      published,
      /Published active: 37B, which leaves the input embedding out \(ours, counted the same way: 36\.6B\)/,
    );
    assert.match(published, /arXiv:2412\.19437/);
    assert.match((await page.locator('.calc .notes').textContent()) ?? '', /Multi-Token Prediction/);
    // Weights only, every precision: DeepSeek-V3 fits no single accelerator in the table, even in int4.
    assert.equal(await page.locator('[data-testid="memory"] td.fits').count(), 0);

    // A published figure is printed as published, and ours beside it at least as precisely.
    await page.getByLabel('Model', { exact: true }).selectOption('gpt-oss-120b');
    assert.match(await text(page, 'published'), /Published total: 116\.8B \(ours: 116\.8B\)/);
    assert.match(await text(page, 'published'), /Published active: 5\.1B, which leaves the input embedding out/);

    await page.getByLabel('Model', { exact: true }).selectOption('switch-base-8');
    assert.equal(await text(page, 'total'), '619M');
    assert.equal(await page.locator('[data-testid="published"]').count(), 0, 'Switch-Base-8 has no published count');
    assert.deepEqual(errors, []);
  });

  it('editing K changes the active count and not the total; the memory follows the total', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(siteUrl(LESSON));
    await calculator(page);
    const memoryBefore = await page.getByTestId('memory').textContent();
    const k = page.locator('#calc-field-num_experts_per_tok');
    await k.focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await k.inputValue(), '1');
    assert.equal(await text(page, 'total'), '46.7B');
    assert.equal(await text(page, 'active'), '7.24B');
    assert.equal(await page.getByTestId('memory').textContent(), memoryBefore, 'weights memory must not change with K');
    assert.match(await text(page, 'published'), /are for the unedited config/);
    await page.getByRole('button', { name: 'Undo my edits' }).click();
    assert.equal(await text(page, 'active'), '12.9B');
    assert.equal(await k.inputValue(), '2');
    assert.deepEqual(errors, []);
  });

  it('bad input shows the library’s message and keeps the previous result', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(siteUrl(LESSON));
    await calculator(page);
    await page.getByText('Paste or upload any config.json').click();
    const paste = page.getByLabel('config.json from a Hugging Face model page');

    await paste.fill('{ "model_type": "mixtral", ');
    await page.getByRole('button', { name: 'Count this config' }).click();
    assert.match(await text(page, 'paste-error'), /^This is not valid JSON \(.+\)\. Paste the whole config\.json/);
    assert.equal(await text(page, 'total'), '46.7B');

    await paste.fill('{ "model_type": "gpt2", "n_layer": 12 }');
    await page.getByRole('button', { name: 'Count this config' }).click();
    assert.match(await text(page, 'calc-error'), /model_type "gpt2" is not supported; supported are mixtral/);
    assert.equal(await text(page, 'total'), '46.7B', 'the last good result stays on screen');

    await paste.fill('{ "model_type": "mixtral", "hidden_size": 64 }');
    await page.getByRole('button', { name: 'Count this config' }).click();
    assert.match(await text(page, 'calc-error'), /config\.json: vocab_size is missing/);

    // A config that works replaces the result; then a negative number keeps it.
    await paste.fill(
      JSON.stringify({
        model_type: 'mixtral',
        vocab_size: 1000,
        hidden_size: 64,
        intermediate_size: 128,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        num_local_experts: 4,
        num_experts_per_tok: 2,
      }),
    );
    await page.getByRole('button', { name: 'Count this config' }).click();
    assert.equal(await page.getByTestId('calc-error').count(), 0);
    // 2 layers · (experts 4·3·64·128 + attention 2·64·64 + 2·64·32 + router 64·4 + norms 2·64)
    // + final norm 64 + embedding and LM head 2·1000·64 = 350,016
    assert.equal(await text(page, 'total'), '350K');
    assert.equal(await page.getByLabel('Model', { exact: true }).inputValue(), 'pasted');
    await page.locator('#calc-field-num_hidden_layers').fill('-2');
    assert.equal(await text(page, 'calc-error'), 'config.json: num_hidden_layers must be a whole number ≥ 1; got -2.');
    assert.equal(await text(page, 'total'), '350K');
    assert.deepEqual(errors, []);
  });

  it('a shared link restores the view; the link never carries a pasted config', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(siteUrl(`${LESSON}?other=kept`));
    await calculator(page);
    await page.getByLabel('Model', { exact: true }).selectOption('qwen3-30b-a3b');
    await page.locator('#calc-field-num_experts_per_tok').fill('16');
    await page.getByLabel('Context length (tokens)').fill('4096');
    await page.getByLabel('Batch (sequences)').fill('8');
    const active = await text(page, 'active');
    const kv = await text(page, 'kv');
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('calc.model'), 'qwen3-30b-a3b');
    assert.equal(url.searchParams.get('calc.edits'), 'num_experts_per_tok:16');
    assert.equal(url.searchParams.get('other'), 'kept');

    const { page: fresh } = await openPage(browser);
    await fresh.goto(url.toString());
    await calculator(fresh);
    assert.equal(await fresh.getByLabel('Model', { exact: true }).inputValue(), 'qwen3-30b-a3b');
    assert.equal(await fresh.locator('#calc-field-num_experts_per_tok').inputValue(), '16');
    assert.equal(await text(fresh, 'active'), active);
    assert.equal(await text(fresh, 'kv'), kv);
    assert.match(kv, /for 8\s+sequences of 4,096 tokens/);

    await page.getByText('Paste or upload any config.json').click();
    await page.getByLabel('config.json from a Hugging Face model page').fill('{"model_type": "llama"}');
    await page.getByRole('button', { name: 'Count this config' }).click();
    assert.equal(new URL(page.url()).searchParams.get('calc.model'), 'qwen3-30b-a3b');
    assert.deepEqual(errors, []);
  });

  it('a link with a bad value says so and uses the defaults for it', async () => {
    const { page } = await openPage(browser);
    await page.goto(siteUrl(`${LESSON}?calc.model=mixtral-8x22b&calc.edits=n_routed_experts:4&calc.batch=0`));
    await calculator(page);
    const notice = (await page.getByRole('status').filter({ hasText: 'could not be used' }).textContent()) ?? '';
    assert.match(notice, /The batch size must be a whole number from 1 to 4,096; the link had "0"/);
    assert.match(notice, /mixtral-8x22b has no editable n_routed_experts/);
    assert.equal(await text(page, 'total'), '141B');
  });

  it('numbers past any real model are refused with a message, never freezing the tab (link, typing, paste)', async () => {
    const { page, errors } = await openPage(browser);
    // Each of these once looped per layer or per expert with no bound and hung the page.
    await page.goto(
      siteUrl(`${LESSON}?calc.model=mixtral-8x7b&calc.edits=num_hidden_layers:1000000,num_local_experts:100000000`),
    );
    await calculator(page);
    const notice = (await page.getByRole('status').filter({ hasText: 'could not be used' }).textContent()) ?? '';
    assert.match(notice, /Layers \(num_hidden_layers\) must be at most 1,024/);
    assert.match(notice, /Experts \(num_local_experts\) must be at most 1,048,576/);
    assert.equal(await text(page, 'total'), '46.7B');

    await page.locator('#calc-field-num_hidden_layers').fill('3000000');
    assert.match(await text(page, 'calc-error'), /Layers \(num_hidden_layers\) must be at most 1,024.*got 3,000,000/);
    assert.equal(await text(page, 'total'), '46.7B', 'the last good result stays on screen');
    await page.locator('#calc-field-num_hidden_layers').fill('32');

    // A context the link schema would not read back is not taken, and not written into the link.
    const contextBox = page.getByLabel('Context length (tokens)');
    await contextBox.click({ clickCount: 3 });
    await page.keyboard.press('Backspace');
    await contextBox.pressSequentially('20000000');
    assert.match(await text(page, 'kv-error'), /from 1 to 10,000,000; got 20,000,000/);
    assert.equal(await page.getByLabel('Context length (tokens)').inputValue(), '20000000', 'what was typed stays');
    assert.notEqual(new URL(page.url()).searchParams.get('calc.context'), '20000000');

    await page.getByText('Paste or upload any config.json').click();
    await page
      .getByLabel('config.json from a Hugging Face model page')
      .fill(JSON.stringify({ model_type: 'mixtral', hidden_size: 1e30 }));
    await page.getByRole('button', { name: 'Count this config' }).click();
    assert.match(await text(page, 'calc-error'), /Hidden size \(hidden_size\) must be at most 131,072.*got 1e\+30/);
    assert.doesNotMatch((await page.locator('.calc').textContent()) ?? '', /99,999,999|79,999,999/);
    assert.deepEqual(errors, []);
  });

  it('at 375 px a long value echoed from a link wraps instead of widening the page', async () => {
    const { page } = await openPage(browser, { viewport: { width: 375, height: 800 } });
    await page.goto(siteUrl(`${LESSON}?calc.model=${'a'.repeat(3000)}&calc.edits=${'b'.repeat(500)}:1`));
    await calculator(page);
    await page.getByRole('status').filter({ hasText: 'could not be used' }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  });

  it('is operable by keyboard alone', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(siteUrl(LESSON));
    await calculator(page);
    await page.getByLabel('Model', { exact: true }).focus();
    await page.keyboard.press('ArrowDown'); // Mixtral 8x7B → Mixtral 8x22B
    assert.equal(await text(page, 'total'), '141B');
    // Tab from the model list to the paste panel, open it, and on to the first editable number.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'SUMMARY');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'calc-field-num_hidden_layers');
    await page.keyboard.press('ArrowUp');
    assert.equal(await page.locator('#calc-field-num_hidden_layers').inputValue(), '57');
    assert.notEqual(await text(page, 'total'), '141B');
    assert.deepEqual(errors, []);
  });

  it('lists whichever of our own checkpoints exist, counted from their config.json', async (t) => {
    const dir = 'models/checkpoints';
    const names = existsSync(dir) ? readdirSync(dir).filter((n) => existsSync(`${dir}/${n}/config.json`)) : [];
    if (names.length === 0) return t.skip('no checkpoint has a config.json yet');
    const { page, errors } = await openPage(browser);
    await page.goto(siteUrl(LESSON));
    await calculator(page);
    const options = await page.locator('#calc-model optgroup[label="Our tiny checkpoints"] option').allTextContents();
    assert.deepEqual(
      options,
      names.sort().map((n) => `Ours: ${n}`),
    );
    await page.getByLabel('Model', { exact: true }).selectOption(`ours-${names[0]}`);
    assert.match(await text(page, 'total'), /^\d+(\.\d+)?[KM]?$/);
    assert.deepEqual(errors, []);
  });
});
