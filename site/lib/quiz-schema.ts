// The quiz every lesson ends with, as its frontmatter's `quiz` field (site/content.config.ts). In a
// module of its own so the rules (3–5 questions, unique ids, at least one live question) are unit-tested.
import { z } from 'astro/zod';

const questionId = z.string().regex(/^[a-z0-9-]+$/, 'question ids are lowercase letters, digits and dashes');

/** A question with options to choose from; `answer` is the index of the right one, counted from 0. */
const choiceQuestion = z.object({
  kind: z.literal('choice'),
  id: questionId,
  prompt: z.string(),
  options: z.array(z.string()).min(2).max(6),
  answer: z.number().int().nonnegative(),
  explanation: z.string(),
});

/** A number to enter; right within `tolerance` (absolute, in the question's unit). */
const numberQuestion = z.object({
  kind: z.literal('number'),
  id: questionId,
  prompt: z.string(),
  answer: z.number(),
  tolerance: z.number().nonnegative(),
  unit: z.string().optional(),
  explanation: z.string(),
});

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/**
 * What a live question measures when the reader checks their answer, with the same code the lesson's
 * widget runs (components/quiz-live.ts). Never a stored number: change the model and the answer follows.
 */
const liveMeasure = z.discriminatedUnion('measure', [
  /** Lesson 1's layer at the widget's default input: the expert with the largest gate weight (1-based). */
  z.object({ measure: z.literal('gate-top-expert'), n: int(1, 16), k: int(1, 16) }),
  /** The parameter calculator: parameters one token uses, in billions, after the reader's edits. */
  z.object({
    measure: z.literal('calculator-active-params'),
    model: z.string(),
    edits: z.record(z.string(), z.number().int().positive()),
  }),
  /** Lesson 3's model on the widget's default text: the expert a layer ranks first for one token (1-based). */
  z.object({
    measure: z.literal('router-first-choice'),
    checkpoint: z.string(),
    k: int(1, 64),
    layer: int(1, 64),
    token: int(1, 64),
  }),
  /** Lesson 4's benchmark, one forward pass: an implementation's peak memory in MB (10⁶ bytes, the site's one unit). */
  z.object({
    measure: z.literal('bench-peak-mb'),
    implementation: z.enum(['sparse', 'masked', 'dense']),
    numExperts: int(1, 64),
    topK: int(1, 64),
    tokens: int(1, 4096),
  }),
  /**
   * "After Mixtral": under expert choice, the tokens each expert takes of the widget's passage, c = ⌈T·factor/N⌉
   * with T the passage's tokens as the course's tokenizer splits it (measured through the engine).
   */
  z.object({
    measure: z.literal('after-mixtral-expert-capacity'),
    numExperts: int(1, 64),
    factor: z.number().positive().max(64),
  }),
  /** Lesson 5's race table: one lane's training FLOPs per step, in billions (GFLOPs), at the reader's N and K. */
  z.object({
    measure: z.literal('race-train-gflops'),
    lane: z.enum(['moe', 'dense', 'dense-total']),
    experts: int(2, 16),
    k: int(1, 16),
  }),
  /** Lesson 6's inference view: choices one layer drops on the held-out passage at a capacity factor. */
  z.object({
    measure: z.literal('capacity-dropped'),
    checkpoint: z.string(),
    factor: z.number().positive(),
    layer: int(1, 64),
  }),
  /** Lesson 7's live recompute: the share of consecutive test-split tokens whose first-choice expert is the same, in %. */
  z.object({
    measure: z.literal('do-experts-specialise-repetition'),
    checkpoint: z.string(),
    k: int(1, 64),
    layer: int(1, 64),
    windowsPerDoc: int(0, 1000),
  }),
  /** Lesson 8's communication calculator: bytes one token sends and receives per MoE layer, in kB (10³ bytes). */
  z.object({
    measure: z.literal('the-costs-comm-kb'),
    model: z.string(),
    k: int(1, 64),
    bytesPerElement: z.number().positive(),
    capacityFactor: z.number().positive().nullable(),
  }),
]);

/** A number the reader reads off the lesson's widget; `{answer}` in the explanation becomes the measured value. */
const liveQuestion = z.object({
  kind: z.literal('live'),
  id: questionId,
  prompt: z.string(),
  measure: liveMeasure,
  tolerance: z.number().nonnegative(),
  unit: z.string().optional(),
  explanation: z.string(),
});

const question = z.discriminatedUnion('kind', [choiceQuestion, numberQuestion, liveQuestion]);

/** Every lesson ends with 3–5 questions, at least one answered with the lesson's widget. */
export const quiz = z
  .array(question)
  .min(3)
  .max(5)
  .superRefine((questions, ctx) => {
    const ids = questions.map((q) => q.id);
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', message: `Two quiz questions have the id "${id}".` });
    });
    questions.forEach((q) => {
      if (q.kind === 'choice' && q.answer >= q.options.length) {
        ctx.addIssue({ code: 'custom', message: `Question "${q.id}": answer ${q.answer} is not one of its options.` });
      }
    });
    if (!questions.some((q) => q.kind === 'live')) {
      ctx.addIssue({ code: 'custom', message: 'A quiz needs at least one live question answered with the widget.' });
    }
  });

export type QuizQuestion = z.infer<typeof question>;
export type LiveMeasure = z.infer<typeof liveMeasure>;
