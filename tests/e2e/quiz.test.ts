import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { launch, openPage, siteUrl } from './browser.ts';

async function quiz(page: Page): Promise<Locator> {
  const section = page.locator('[data-testid="quiz"]');
  await section.scrollIntoViewIfNeeded();
  await page.locator('[data-testid="quiz"][data-hydrated="true"]').waitFor();
  return section;
}

const question = (page: Page, id: string): Locator => page.locator(`[data-question="${id}"]`);

async function answerNumber(page: Page, id: string, value: string): Promise<string> {
  const q = question(page, id);
  await q.getByLabel(/Your answer/).fill(value);
  await q.getByRole('button', { name: 'Check' }).click();
  const result = q.locator('.result p').first();
  await result.waitFor({ timeout: 120_000 });
  await page.waitForFunction(
    (qid) => !document.querySelector(`[data-question="${qid}"] button`)?.hasAttribute('disabled'),
    id,
    {
      timeout: 120_000,
    },
  );
  return (await result.textContent()) ?? '';
}

describe('quizzes', () => {
  let browser: Browser;
  before(async () => (browser = await launch()));
  after(async () => browser.close());

  it('a choice is checked and explained, by keyboard, and stays answered after a reload', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(siteUrl('lessons/moe-equation/'));
    await quiz(page);
    const q = question(page, 'sparse-cost');
    // One tab stop for the options, arrow keys inside (a native radio group).
    await q.getByRole('radio').first().focus();
    await page.keyboard.press('Space');
    await q.getByRole('button', { name: 'Check' }).click();
    const result = q.locator('.result');
    assert.match((await result.textContent()) ?? '', /^Not quite\. A token runs through K experts/);
    await q.getByRole('radio').first().press('ArrowDown');
    assert.equal(await q.getByRole('radio').nth(1).isChecked(), true);
    await q.getByRole('button', { name: 'Check' }).press('Enter');
    assert.match((await result.textContent()) ?? '', /^Right\. A token runs through K experts/);
    assert.equal(await q.locator('fieldset').getAttribute('aria-describedby'), await result.getAttribute('id'));
    await page.reload();
    await quiz(page);
    assert.match((await question(page, 'sparse-cost').locator('.result').textContent()) ?? '', /^Right\./);
    assert.equal(await question(page, 'sparse-cost').getByRole('radio').nth(1).isChecked(), true);
    assert.deepEqual(errors, []);
  });

  it('a number that is not a number gets a sentence, and the typed text is kept', async () => {
    const { page } = await openPage(browser);
    await page.goto(siteUrl('lessons/moe-equation/'));
    await quiz(page);
    const text = await answerNumber(page, 'top1-weight', 'one');
    assert.equal(text, 'Enter a number, such as 12.9 (digits, with a point for decimals).');
    assert.equal(
      await question(page, 'top1-weight')
        .getByLabel(/Your answer/)
        .inputValue(),
      'one',
    );
    assert.match(await answerNumber(page, 'top1-weight', '1'), /^Right\./);
  });

  it('lesson 1: the live question is checked against the gate the widget computes', async () => {
    const { page, errors } = await openPage(browser);
    // The widget's own link state sets N = 4, K = 1; its table says which expert it selected.
    await page.goto(siteUrl('lessons/moe-equation/?gate.n=4&gate.k=1'));
    await page.locator('.gate-widget').scrollIntoViewIfNeeded();
    await page.locator('.gate-widget[data-hydrated="true"]').waitFor();
    const selected = page.locator('.gate-widget tr[data-selected="true"] th');
    assert.equal(await selected.count(), 1);
    const expert = ((await selected.textContent()) ?? '').replace(/\D/g, '');
    const wrong = expert === '1' ? '2' : '1';
    await quiz(page);
    assert.match(await answerNumber(page, 'widget-top-expert', wrong), /^Not quite\..*E\d/);
    const right = await answerNumber(page, 'widget-top-expert', expert);
    assert.match(right, new RegExp(`^Right\\. .*belongs to E${expert}\\b`));
    assert.deepEqual(errors, []);
  });

  it('lesson 2: the live question is checked against the calculator’s count', async () => {
    const { page } = await openPage(browser);
    await page.goto(
      siteUrl('lessons/moe-inside-the-transformer/?calc.model=mixtral-8x7b&calc.edits=num_experts_per_tok:1'),
    );
    const active = page.locator('[data-testid="active"]');
    await active.scrollIntoViewIfNeeded();
    await page.locator('.calc[data-hydrated="true"]').waitFor();
    const shown = ((await active.textContent()) ?? '').replace(/B$/, '');
    await quiz(page);
    assert.match(await answerNumber(page, 'calculator-top1', String(Number(shown) + 1)), /^Not quite\./);
    assert.match(await answerNumber(page, 'calculator-top1', shown), /^Right\./);
  });

  it('lesson 3: the live question is checked against the routing the model computes', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(siteUrl('lessons/moe-in-your-browser/?moe.checkpoint=e16-top2&moe.k=2'));
    const widget = page.locator('.router-widget');
    await widget.scrollIntoViewIfNeeded();
    await page.locator('.router-widget[data-phase="ready"]').waitFor({ timeout: 90_000 });
    await page.locator('[data-testid="routing"]').waitFor({ timeout: 60_000 });
    const first = await page.locator('.strip').first().locator('.tok').first().getAttribute('data-expert');
    const expert = String(Number(first) + 1);
    await quiz(page);
    const text = await answerNumber(page, 'router-first-token', expert);
    assert.match(text, new RegExp(`^Right\\. .*ranks expert ${expert} first`));
    assert.deepEqual(errors, []);
  });

  it('lesson 4: the live question is checked against the memory the benchmark measures', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(siteUrl('lessons/why-sparse-is-cheaper/?bench.backend=wasm&bench.tokens=512&bench.reps=3'));
    await page.locator('.bench-widget').scrollIntoViewIfNeeded();
    await page.locator('.bench-widget[data-phase="ready"]').waitFor({ timeout: 90_000 });
    await page.getByRole('button', { name: 'Run' }).click();
    await page.locator('.bench-widget[data-runs="1"]').waitFor({ timeout: 240_000 });
    // Cells after N: K, three medians (sparse, masked, dense), three peaks in the same order.
    const peak = (await page.locator('tr[data-n="16"][data-k="2"] td').nth(5).textContent()) ?? '';
    assert.match(peak, /^\d+\.\d$/);
    await quiz(page);
    assert.match(await answerNumber(page, 'bench-masked-memory', String(Number(peak) * 2)), /^Not quite\./);
    assert.match(await answerNumber(page, 'bench-masked-memory', peak), new RegExp(`^Right\\. .*peaks at ${peak} MB`));
    assert.deepEqual(errors, []);
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`answered, 375 px wide: no serious accessibility violations in the quiz, no overflow (${colorScheme})`, async () => {
      const { page } = await openPage(browser, { colorScheme, viewport: { width: 375, height: 800 } });
      await page.goto(siteUrl('lessons/why-sparse-is-cheaper/'));
      await quiz(page);
      await answerNumber(page, 'forward-factor', '3');
      await answerNumber(page, 'training-factor', 'lots');
      const results = await new AxeBuilder({ page }).include('[data-testid="quiz"]').analyze();
      const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      assert.deepEqual(
        serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`),
        [],
      );
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    });
  }
});
