// The quiz: its frontmatter schema, the answer checks, and the live measurements that need no browser.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { quiz, type QuizQuestion } from '../../site/lib/quiz-schema.ts';
import { argmaxAll, checkChoice, checkNumber, explain, parseNumber } from '../../components/quiz-check.ts';
import { measureLive } from '../../components/quiz-live.ts';
import { calculatorModel } from '../../components/calculator-models.ts';
import { MODEL_PRESETS } from '../../models/accounting/presets/index.ts';

const choice = (id: string, answer = 0): QuizQuestion => ({
  kind: 'choice',
  id,
  prompt: 'p',
  options: ['a', 'b'],
  answer,
  explanation: 'e',
});
const live: QuizQuestion = {
  kind: 'live',
  id: 'live',
  prompt: 'p',
  measure: { measure: 'gate-top-expert', n: 4, k: 1 },
  tolerance: 0,
  explanation: 'It is {answer}.',
};

/** Each lesson's frontmatter, parsed as Astro does (YAML between the first two `---` lines). */
function lessonFrontmatter(): { file: string; data: Record<string, unknown> }[] {
  return readdirSync('lessons')
    .filter((f) => f.endsWith('.mdx'))
    .map((file) => {
      const source = readFileSync(`lessons/${file}`, 'utf8');
      const yaml = /^---\n([\s\S]*?)\n---\n/.exec(source)?.[1] ?? '';
      return { file, data: parse(yaml) as Record<string, unknown> };
    });
}

describe('quiz schema', () => {
  it('accepts 3–5 questions with one live question', () => {
    expect(quiz.safeParse([choice('a'), choice('b'), live]).success).toBe(true);
  });

  it('rejects a missing quiz, too few or too many questions', () => {
    expect(quiz.safeParse(undefined).success).toBe(false);
    expect(quiz.safeParse([choice('a'), live]).success).toBe(false);
    expect(quiz.safeParse(['a', 'b', 'c', 'd', 'e'].map((id) => choice(id)).concat(live)).success).toBe(false);
  });

  it('rejects a quiz without a live question, duplicate ids, and an answer that is not an option', () => {
    const noLive = quiz.safeParse([choice('a'), choice('b'), choice('c')]);
    expect(noLive.error?.issues.map((i) => i.message)).toContain(
      'A quiz needs at least one live question answered with the widget.',
    );
    const dup = quiz.safeParse([choice('a'), choice('a'), live]);
    expect(dup.error?.issues.map((i) => i.message)).toContain('Two quiz questions have the id "a".');
    const outOfRange = quiz.safeParse([choice('a', 2), choice('b'), live]);
    expect(outOfRange.error?.issues.map((i) => i.message)).toContain(
      'Question "a": answer 2 is not one of its options.',
    );
  });

  it('every lesson has a valid quiz whose live questions name things this site has', () => {
    const lessons = lessonFrontmatter();
    expect(lessons.length).toBeGreaterThanOrEqual(4);
    for (const { file, data } of lessons) {
      const parsed = quiz.safeParse(data.quiz);
      expect(parsed.success, `${file}: ${parsed.error?.message}`).toBe(true);
      for (const q of parsed.data ?? []) {
        if (q.kind !== 'live') continue;
        const m = q.measure;
        if (m.measure === 'calculator-active-params') expect(calculatorModel(m.model), file).toBeDefined();
        if (m.measure === 'router-first-choice') {
          expect(existsSync(`models/checkpoints/${m.checkpoint}/model.safetensors`), file).toBe(true);
        }
        expect(q.explanation, `${file}: a live explanation shows the measured answer`).toContain('{answer}');
      }
    }
  });
});

describe('answer checks', () => {
  it('reads numbers as readers type them, and nothing else', () => {
    expect(parseNumber(' 12.9 ')).toBe(12.9);
    expect(parseNumber('12,9')).toBe(12.9);
    expect(parseNumber('−3')).toBe(-3);
    expect(parseNumber('.5')).toBe(0.5);
    for (const bad of ['', 'one', '1e3', '1,000.5', '12.9B', '--1', 'Infinity', 'NaN'])
      expect(parseNumber(bad), bad).toBeNull();
  });

  it('a number is right within the tolerance of any accepted answer', () => {
    expect(checkNumber('7.24', [7.2412], 0.05)).toEqual({ ok: true, correct: true });
    expect(checkNumber('7.3', [7.2412], 0.05)).toEqual({ ok: true, correct: false });
    expect(checkNumber('3', [2, 3], 0)).toEqual({ ok: true, correct: true });
    expect(checkNumber('0.3', [0.1 + 0.2], 0)).toEqual({ ok: true, correct: true });
    expect(checkNumber('x', [1], 0)).toMatchObject({ ok: false });
  });

  it('a choice must be one of the options', () => {
    const q = choice('a', 1) as Extract<QuizQuestion, { kind: 'choice' }>;
    expect(checkChoice(q, '1')).toEqual({ ok: true, correct: true });
    expect(checkChoice(q, '0')).toEqual({ ok: true, correct: false });
    expect(checkChoice(q, '')).toEqual({ ok: false, problem: 'Choose one of the options first.' });
    expect(checkChoice(q, '5')).toMatchObject({ ok: false });
  });

  it('ties accept every tied index; explanations get the measured answer', () => {
    expect(argmaxAll([0.1, 0.4, 0.4, 0.1])).toEqual([1, 2]);
    expect(explain('It is {answer}; yes, {answer}.', 'E3')).toBe('It is E3; yes, E3.');
  });
});

describe('live measurements without a browser', () => {
  it('Mixtral 8x7B at its own K = 2 uses 12.9B parameters per token (Jiang et al. 2024, §2), and K = 1 saves one expert per layer', async () => {
    const mixtral = MODEL_PRESETS.find((p) => p.id === 'mixtral-8x7b')!.config as Record<string, number>;
    const k2 = await measureLive({ measure: 'calculator-active-params', model: 'mixtral-8x7b', edits: {} });
    expect(k2.accepted[0]).toBeCloseTo(12.9, 1);
    const k1 = await measureLive({
      measure: 'calculator-active-params',
      model: 'mixtral-8x7b',
      edits: { num_experts_per_tok: 1 },
    });
    // One SwiGLU expert is 3·d·h weights; K = 1 drops one per layer.
    const expert = 3 * mixtral.hidden_size! * mixtral.intermediate_size!;
    expect((k2.accepted[0]! - k1.accepted[0]!) * 1e9).toBeCloseTo(mixtral.num_hidden_layers! * expert, -3);
    expect(k1.shown).toMatch(/^7\.\d\d billion$/);
  });

  it('the gate question names one expert at K = 1, and the same one at K = 2 ranks it first', async () => {
    const k1 = await measureLive({ measure: 'gate-top-expert', n: 4, k: 1 });
    expect(k1.accepted).toHaveLength(1);
    expect(k1.accepted[0]).toBeGreaterThanOrEqual(1);
    expect(k1.accepted[0]).toBeLessThanOrEqual(4);
    // At K = 1 the one selected expert gets weight exactly 1 (renormalising a single probability).
    expect(k1.detail).toContain(`E${k1.accepted[0]} 1.00`);
    const k2 = await measureLive({ measure: 'gate-top-expert', n: 4, k: 2 });
    expect(k2.accepted).toEqual(k1.accepted);
  });
});
