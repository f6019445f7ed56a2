// Lesson 7's specialisation widget, in real Chromium on wasm: the genre × expert table renders from the
// shipped analysis at once; a live recompute in the worker (1 window per test document) gives exactly what
// Node computes for the same windows, tokens and enrichment included, and agrees with the shipped file
// within sampling; the reader's text is routed and classed; no console errors, tensors flat, nothing
// overflows at 375 px, no serious accessibility violations.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { Lab } from '../../models/lab.ts';
import { documentWindows } from '../../models/moe/analyze-windows.ts';
import { readAnalysisData } from '../../models/text/analysis-data.ts';
import { largestShareDifference } from '../../components/specialise-view.ts';
import { launch, openPage, seriousA11yViolations, siteUrl } from './browser.ts';

const LESSON = 'lessons/do-experts-specialise/';
const WIDGET = '.spec-widget';

async function nodeAnalysis() {
  const files = new Map(
    ['test.json', 'test.bin', 'test-pos.bin'].map((n) => [n, new Uint8Array(readFileSync(`models/data/${n}`))]),
  );
  const { documents } = await readAnalysisData(files);
  const lab = await Lab.load({ dir: 'models/checkpoints/e8-top2' }, { backend: 'wasm' });
  try {
    return (await lab.analyzeRouting(documentWindows(documents, 64, 1), { k: 2 })).analysis;
  } finally {
    lab.dispose();
  }
}

describe('lesson 7: do experts specialise?', () => {
  let browser: Browser;
  before(async () => (browser = await launch()));
  after(async () => browser.close());

  it('shows the shipped analysis, recomputes it live to the same numbers as Node, and routes the reader’s text', async () => {
    const { page, errors } = await openPage(browser, { viewport: { width: 375, height: 800 } });
    await page.goto(siteUrl(`${LESSON}?engine-hook&spec.backend=wasm&spec.windows=1`));
    await page.locator(WIDGET).scrollIntoViewIfNeeded();
    await page.locator(`${WIDGET}[data-view="shipped"]`).waitFor({ timeout: 30_000 });
    const shippedRows = await page.locator('[data-testid="genre-table"] tbody tr[data-genre]').count();
    assert.equal(shippedRows, 15, 'one row per Brown genre');
    assert.match((await page.locator('[data-testid="shipped-summary"]').textContent()) ?? '', /3,643 windows/);

    const expected = nodeAnalysis();
    await page.getByTestId('recompute').click();
    await page.locator(`${WIDGET}[data-recomputes="1"]`).waitFor({ timeout: 120_000 });
    assert.equal(await page.locator(WIDGET).getAttribute('data-view'), 'live');
    assert.match((await page.locator('[data-testid="live-summary"]').textContent()) ?? '', /52 of 52 windows/);

    // Layer 1, every genre × expert share, exactly as Node routes the same windows.
    const node = await expected;
    const shares = await page
      .locator('[data-testid="genre-table"] tbody tr[data-genre]')
      .evaluateAll((rows) =>
        rows.map(
          (r) =>
            [
              r.getAttribute('data-genre')!,
              [...r.querySelectorAll('td[data-share]')].map((c) => Number(c.getAttribute('data-share'))),
            ] as const,
        ),
      );
    for (const [genre, row] of shares) assert.deepEqual(row, node.byGenre[genre]![0]!.topK, `genre ${genre}`);
    // The per-expert table lists the real tokens Node finds, with their counts.
    const tokens = await page
      .locator('[data-testid="enrich-table"] tbody tr')
      .evaluateAll((rows) =>
        rows.map((r) => [...r.querySelectorAll('.token-item code')].map((c) => JSON.parse(c.textContent!) as string)),
      );
    assert.deepEqual(
      tokens,
      node.expertEnrichment[0]!.map((e) => e.tokenIds.slice(0, 3).map((t) => t.text)),
    );
    assert.ok(tokens.flat().length > 0, 'some expert over-receives a token seen 20 times or more');
    // Against the shipped file (all 3,643 windows): the same checkpoint and K, different windows.
    // Same tokens as Node, so the same distance from the file; the all-token row is close (sampling only).
    const shipped = JSON.parse(readFileSync('models/checkpoints/e8-top2/analysis.json', 'utf8')) as typeof node;
    const points = async (id: string) => Number(((await page.getByTestId(id).textContent()) ?? '').split(' ')[0]);
    assert.equal(await points('agreement-value'), Number((100 * largestShareDifference(node, shipped)).toFixed(2)));
    const overall = await points('agreement-overall');
    assert.ok(overall < 3, `all-token loads within sampling of the file: ${overall} points`);
    await page.getByTestId('show-shipped').click();
    assert.equal(await page.locator(WIDGET).getAttribute('data-view'), 'shipped');

    await page.getByTestId('spec-text').fill('The jury said 12 votes were cast for Mr. Zyxwv at the café.');
    await page.getByTestId('route-text').click();
    await page.locator('[data-testid="chips"] .chip').first().waitFor({ timeout: 60_000 });
    const classes = await page
      .locator('[data-testid="chips"] .chip')
      .evaluateAll((c) => c.map((x) => x.getAttribute('data-class')));
    assert.ok(classes.includes('determiner') && classes.includes('number'), classes.join(','));
    assert.ok((await page.locator('[data-testid="chips"] .chip.unknown').count()) > 0, 'an unknown word is marked');
    // After a character made of byte tokens (é), the classes stay on their words: the final period is punctuation.
    assert.equal(classes.at(-1), 'punctuation', classes.join(','));
    assert.match((await page.getByTestId('lexicon-note').textContent()) ?? '', /5,000 most frequent/);

    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    const memory = async () =>
      page.evaluate(async () => {
        const engine = (
          globalThis as { moeLabEngine?: { request(t: string, p: object): Promise<{ numTensors: number }> } }
        ).moeLabEngine!;
        return (await engine.request('memory', {})).numTensors;
      });
    const before = await memory();
    await page.getByTestId('recompute').click();
    await page.locator(`${WIDGET}[data-recomputes="2"]`).waitFor({ timeout: 120_000 });
    assert.equal(await memory(), before, 'tensors flat over a recompute');
    assert.deepEqual(await seriousA11yViolations(page), []);

    // The quiz's live question measures what the widget shows: layer 2's first-choice repetition, 1 window per document.
    await page.getByTestId('layer').selectOption('2');
    const shown = ((await page.locator('[data-testid="repetition"] strong').first().textContent()) ?? '').replace(
      '%',
      '',
    );
    const q = page.locator('[data-question="live-repetition"]');
    await page.locator('[data-testid="quiz"]').scrollIntoViewIfNeeded();
    await page.locator('[data-testid="quiz"][data-hydrated="true"]').waitFor();
    await q.getByLabel(/Your answer/).fill(shown);
    await q.getByRole('button', { name: 'Check' }).click();
    // The first line says it is measuring; the verdict replaces it.
    const verdict = q.locator('.result p', { hasText: /^(Right|Not quite)/ }).first();
    await verdict.waitFor({ timeout: 120_000 });
    assert.match((await verdict.textContent()) ?? '', /^Right\./);
    assert.deepEqual(errors, []);
  });
});
