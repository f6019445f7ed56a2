// Checking a quiz answer: pure functions, so the rules are unit-tested without a browser.
import type { QuizQuestion } from '../site/lib/quiz-schema.ts';

export type Verdict = { ok: true; correct: boolean } | { ok: false; problem: string };

/** "12.9", "12,9", " 7 " → a number; anything else → null. Thousands separators are not accepted. */
export function parseNumber(text: string): number | null {
  const trimmed = text.trim().replace(/^−/, '-');
  if (!/^-?(\d+([.,]\d*)?|[.,]\d+)$/.test(trimmed)) return null;
  return Number(trimmed.replace(',', '.'));
}

/** Whether `value` is within `tolerance` of any accepted answer (several when a measurement ties). */
export function checkNumber(text: string, accepted: readonly number[], tolerance: number): Verdict {
  const value = parseNumber(text);
  if (value === null)
    return { ok: false, problem: 'Enter a number, such as 12.9 (digits, with a point for decimals).' };
  // A hair of slack so 0.1 + 0.2 style rounding never rejects an answer typed exactly as shown.
  const slack = tolerance + 1e-9 * Math.max(1, Math.abs(value));
  return { ok: true, correct: accepted.some((a) => Math.abs(a - value) <= slack) };
}

export function checkChoice(question: Extract<QuizQuestion, { kind: 'choice' }>, chosen: string): Verdict {
  const index = Number(chosen);
  if (chosen === '' || !Number.isInteger(index) || index < 0 || index >= question.options.length) {
    return { ok: false, problem: 'Choose one of the options first.' };
  }
  return { ok: true, correct: index === question.answer };
}

/** The explanation with the measured answer in place of `{answer}`. */
export const explain = (explanation: string, answer: string): string => explanation.replaceAll('{answer}', answer);

/** Indices of the largest values: every expert tied for first, so a tie accepts either. */
export function argmaxAll(values: readonly number[]): number[] {
  const best = Math.max(...values);
  return values.flatMap((v, i) => (v === best ? [i] : []));
}
