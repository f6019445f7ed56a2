import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launch, openPage, seriousA11yViolations, siteUrl } from './browser.ts';

const LESSON_1 = 'The Mixture-of-Experts equation';

/** The lesson page marks itself opened from a module script, which runs after the page has been parsed. */
const markedOpened = (page: Page, lessonId: string) =>
  page.waitForFunction((id) => (localStorage.getItem('moe-lab-progress') ?? '').includes(`"${id}"`), lessonId);

const marksOf = (page: Page, lessonId: string): Promise<string[]> =>
  page.locator(`[data-progress-lesson="${lessonId}"] .mark`).allTextContents();

/** Answers every question of the lesson's quiz (right or wrong: finishing is answering them all). */
async function answerAll(page: Page): Promise<void> {
  const quiz = page.locator('[data-testid="quiz"]');
  await quiz.scrollIntoViewIfNeeded();
  await page.locator('[data-testid="quiz"][data-hydrated="true"]').waitFor();
  const questions = quiz.locator('[data-question]');
  for (let i = 0; i < (await questions.count()); i++) {
    const q = questions.nth(i);
    if ((await q.getByRole('radio').count()) > 0) await q.getByRole('radio').first().check();
    else await q.getByLabel(/Your answer/).fill('1');
    await q.getByRole('button', { name: 'Check' }).click();
    await q.locator('.verdict').waitFor({ timeout: 60_000 });
  }
}

describe('progress on the course map', () => {
  let browser: Browser;
  before(async () => (browser = await launch()));
  after(async () => browser.close());

  it('marks opened lessons and finished quizzes, and "Reset my progress" clears both and the answers', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(siteUrl());
    assert.deepEqual(await marksOf(page, 'moe-equation'), []);
    assert.equal(await page.getByRole('button', { name: 'Reset my progress' }).isVisible(), false);

    await page.getByRole('link', { name: new RegExp(LESSON_1) }).click();
    await page.locator('h1', { hasText: LESSON_1 }).waitFor();
    await markedOpened(page, 'moe-equation');
    await page.goto(siteUrl());
    assert.deepEqual(await marksOf(page, 'moe-equation'), ['✓ Opened']);
    assert.deepEqual(await marksOf(page, 'moe-in-your-browser'), [], 'a lesson never opened is not marked');

    await page.goto(siteUrl('lessons/moe-equation/'));
    await answerAll(page);
    await page.goto(siteUrl());
    assert.deepEqual(await marksOf(page, 'moe-equation'), ['✓ Opened', '✓ Quiz done']);

    const reset = page.getByRole('button', { name: 'Reset my progress' });
    await reset.focus();
    await page.keyboard.press('Enter');
    assert.deepEqual(await marksOf(page, 'moe-equation'), []);
    assert.match((await page.locator('[data-progress-status]').textContent()) ?? '', /cleared/);
    await page.reload();
    assert.deepEqual(await marksOf(page, 'moe-equation'), [], 'the reset did not last');

    await page.goto(siteUrl('lessons/moe-equation/'));
    await page.locator('[data-testid="quiz"]').scrollIntoViewIfNeeded();
    await page.locator('[data-testid="quiz"][data-hydrated="true"]').waitFor();
    assert.equal(await page.locator('[data-testid="quiz"] .verdict').count(), 0, 'quiz answers survived the reset');
    assert.deepEqual(errors, []);
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`with marks shown, 375 px wide: no serious accessibility violations, no overflow (${colorScheme})`, async () => {
      const { page } = await openPage(browser, { colorScheme, viewport: { width: 375, height: 800 } });
      await page.goto(siteUrl('lessons/moe-equation/'));
      await markedOpened(page, 'moe-equation');
      await page.goto(siteUrl());
      await page.locator('[data-progress-lesson="moe-equation"] .mark').waitFor();
      assert.deepEqual(await seriousA11yViolations(page), []);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    });
  }
});
