// Lesson 5's race in real Chromium on wasm: it starts, streams both curves (per token and per second), pauses
// (no step runs while paused), resumes and cancels; a second race finishes and leaves the engine holding as
// many tensors as the first; the recorded family logs load; no main-thread task over 50 ms while training;
// no console errors. Short races (50 steps) keep the file quick.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launch, openPage, seriousA11yViolations, siteUrl } from './browser.ts';

const WIDGET = '.race-widget';
const stepsOf = async (page: Page, id: string): Promise<number> =>
  Number(await page.locator(`[data-testid="race-lane-${id}"]`).getAttribute('data-steps'));

async function untilSteps(page: Page, id: string, n: number, timeout = 180_000): Promise<void> {
  await page.waitForFunction(
    ([sel, min]) => Number(document.querySelector(sel as string)?.getAttribute('data-steps') ?? 0) >= (min as number),
    [`[data-testid="race-lane-${id}"]`, n],
    { timeout, polling: 100 },
  );
}

const tensors = (page: Page): Promise<number> =>
  page.evaluate(async () => {
    const engine = (
      globalThis as unknown as { moeLabEngine: { request(t: string, p: unknown): Promise<{ numTensors: number }> } }
    ).moeLabEngine;
    return (await engine.request('memory', {})).numTensors;
  });

describe('lesson 5: the race', () => {
  let browser: Browser;
  before(async () => (browser = await launch()));
  after(async () => browser.close());

  it('races, streams both curves, pauses, resumes, cancels, finishes again with tensors flat', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(siteUrl('lessons/cheaper-to-train/?engine-hook&race.steps=50&race.backend=wasm'));
    await page.locator(WIDGET).scrollIntoViewIfNeeded();
    await page.locator(`${WIDGET}[data-phase="ready"]`).waitFor({ timeout: 120_000 });
    await page.locator('[data-testid="race-recorded"][data-runs="5"]').waitFor({ timeout: 60_000 });
    // Both recorded charts drawn (once, before the race: they are not part of training's main-thread work).
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="race-recorded"] .plot-holder svg').length >= 2,
    );
    await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({
        type: 'longtask',
      });
    });

    await page.getByRole('button', { name: 'Start the race' }).click();
    await untilSteps(page, 'dense', 5);
    await untilSteps(page, 'moe', 5);
    // A line per lane in both charts (per token, per second), drawn from the streamed losses.
    await page.waitForFunction(
      () => (document.querySelector('[data-testid="race-live"]')?.querySelectorAll('svg path').length ?? 0) >= 4,
      undefined,
      { timeout: 30_000 },
    );

    await page.getByRole('button', { name: 'Pause' }).click();
    await page.locator(`${WIDGET}[data-engine-paused="true"]`).waitFor({ timeout: 60_000 });
    const held = await stepsOf(page, 'moe');
    await page.waitForTimeout(1200);
    assert.equal(await stepsOf(page, 'moe'), held, 'no step runs while paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await untilSteps(page, 'moe', held + 3);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator(`${WIDGET}[data-phase="done"]`).waitFor({ timeout: 60_000 });
    assert.match((await page.locator('[data-testid="race-message"]').textContent()) ?? '', /Cancelled/);
    assert.ok((await stepsOf(page, 'moe')) < 50, 'cancel stopped the race');
    const afterFirst = await tensors(page);

    await page.getByRole('button', { name: 'Start the race' }).click();
    await page.locator(`${WIDGET}[data-phase="done"]`).waitFor({ timeout: 300_000 });
    assert.equal(await stepsOf(page, 'dense'), 50);
    assert.equal(await stepsOf(page, 'moe'), 50);
    const gap = page.locator('[data-testid="race-gap"]');
    assert.ok(Number.isFinite(Number(await gap.getAttribute('data-per-step'))));
    assert.match((await gap.textContent()) ?? '', /at equal tokens/);
    // The engine keeps each lane's model; a new race frees the old ones first.
    assert.equal(await tensors(page), afterFirst, 'tensors leaked across races');

    const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
    assert.ok(
      longTasks.every((d) => d <= 50),
      `main-thread long tasks while racing: ${longTasks.map((d) => d.toFixed(0)).join(', ')} ms`,
    );
    assert.deepEqual(await seriousA11yViolations(page), []);
    assert.deepEqual(errors, []);
  });
});
