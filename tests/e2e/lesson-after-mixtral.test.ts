// "After Mixtral" in real Chromium on wasm: every post-Mixtral design races plain top-2 for a few steps with
// both losses falling; the routing view shows each design's signature (the shared expert on every token;
// under expert choice every expert at its capacity and some tokens with no expert); training the same race
// again leaves the engine's tensors where they were; the live quiz question is checked against the capacity
// the engine measures; no console errors; no serious accessibility issues.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launch, openPage, seriousA11yViolations, siteUrl } from './browser.ts';

const WIDGET = '.variants-widget';
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

async function race(page: Page, variant: string): Promise<{ plain: number[]; variant: number[] }> {
  await page.getByTestId('variants-variant').selectOption(variant);
  await page.getByRole('button', { name: 'Train both' }).click();
  await page.locator(`${WIDGET}[data-phase="running"]`).waitFor({ timeout: 30_000 });
  await page.locator(`${WIDGET}[data-phase="done"]`).waitFor({ timeout: 120_000 });
  const losses = async (id: string): Promise<number[]> =>
    JSON.parse((await page.getByTestId(`variants-lane-${id}`).getAttribute('data-losses')) ?? '[]') as number[];
  return { plain: await losses('plain'), variant: await losses('variant') };
}

const engineMemory = (page: Page): Promise<number> =>
  page.evaluate(async () => {
    const engine = (globalThis as unknown as { moeLabEngine: { request(t: string, p: unknown): Promise<unknown> } })
      .moeLabEngine;
    return ((await engine.request('memory', {})) as { numTensors: number }).numTensors;
  });

describe('lesson "After Mixtral": the variants race', () => {
  let browser: Browser;
  before(async () => (browser = await launch()));
  after(async () => browser.close());

  it('trains every design with falling losses and shows each one’s routing signature', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(siteUrl('lessons/after-mixtral/?engine-hook&variants.steps=20&variants.backend=wasm'));
    await page.locator(WIDGET).scrollIntoViewIfNeeded();
    await page.locator(`${WIDGET}[data-phase="ready"]`).waitFor({ timeout: 120_000 });

    let capacityShown = 0;
    for (const variant of ['shared', 'fine-grained', 'sigmoid', 'expert-choice', 'soft-moe']) {
      const losses = await race(page, variant);
      for (const [lane, xs] of Object.entries(losses)) {
        assert.equal(xs.length, 20, `${variant}, ${lane}: every step reached the page`);
        assert.ok(mean(xs.slice(-5)) < mean(xs.slice(0, 5)) - 0.2, `${variant}, ${lane}: the loss falls (${xs})`);
      }
      const routing = page.getByTestId('variants-routing-variant');
      const tokens = routing.getByTestId('variant-token');
      const count = await tokens.count();
      assert.ok(count > 10, `${variant}: the passage is routed token by token`);
      const perToken = await tokens.evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-experts'))));
      if (variant === 'shared') {
        assert.equal(await routing.getAttribute('data-shared'), '1');
        assert.equal(await routing.locator('.chip.shared').count(), count, 'the shared expert is on every token');
        assert.ok(
          perToken.every((n) => n === 1),
          'plus one routed expert each',
        );
      }
      if (variant === 'expert-choice') {
        const perExpert = JSON.parse((await routing.getAttribute('data-expert-tokens')) ?? '[]') as number[];
        const capacity = Math.ceil((count * 2) / 8);
        assert.deepEqual(perExpert, new Array(8).fill(capacity), 'every expert takes its capacity');
        capacityShown = capacity;
        assert.ok(
          perToken.some((n) => n === 0),
          'some tokens get no expert',
        );
        assert.equal(Number(await routing.getAttribute('data-unrouted')), perToken.filter((n) => n === 0).length);
        assert.match((await page.getByTestId('variants-unrouted').textContent()) ?? '', /%/);
      }
      if (variant === 'fine-grained')
        assert.ok(
          perToken.every((n) => n === 4),
          'top-4 of 16',
        );
    }
    // The plain lane routes top-2 of 8, and the layer menu switches the view.
    const plain = page.getByTestId('variants-routing-plain').getByTestId('variant-token');
    assert.ok(
      (await plain.evaluateAll((els) => els.map((el) => el.getAttribute('data-experts')))).every((n) => n === '2'),
    );
    await page.getByTestId('variants-layer').selectOption('2');
    await page.getByText('plain top-2 of 8 (Mixtral), layer 2').waitFor();
    assert.match(page.url(), /variants\.layer=2/);

    // The same race again replaces the kept models: the engine holds as many tensors as before.
    const held = await engineMemory(page);
    await page.getByTestId('variants-steps').selectOption('10');
    await race(page, 'soft-moe');
    assert.equal(await engineMemory(page), held, 'tf.memory() flat across races');

    // The live question: what the routing view showed is what the quiz measures.
    const quiz = page.locator('[data-testid="quiz"]');
    await quiz.scrollIntoViewIfNeeded();
    await page.locator('[data-testid="quiz"][data-hydrated="true"]').waitFor();
    const question = page.locator('[data-question="expert-capacity"]');
    await question.getByLabel(/Your answer/).fill(String(capacityShown));
    await question.getByRole('button', { name: 'Check' }).click();
    const result = question.locator('.result p').first();
    await result.waitFor({ timeout: 120_000 });
    // "Measuring…" first; the verdict once the check button is usable again.
    await page.waitForFunction(
      () => !document.querySelector('[data-question="expert-capacity"] button')?.hasAttribute('disabled'),
      null,
      { timeout: 120_000 },
    );
    assert.match((await result.textContent()) ?? '', new RegExp(`^Right\\. .*takes ${capacityShown} tokens`));

    assert.deepEqual(await seriousA11yViolations(page), []);
    assert.deepEqual(errors, []);
  });
});
