/**
 * The lesson "After Mixtral"'s race: plain top-2 of 8 (the course's e8-top2 recipe) against one design that
 * came after it, each sized to the same active expert parameters, so the curves compare like with like:
 * - shared: 1 shared + top-1 of 7 routed (DeepSeekMoE §3.2's isolation: the same total and active experts);
 * - fine-grained: each expert cut in 2, top-4 of 16 at half the width (DeepSeekMoE §3.1);
 * - sigmoid: DeepSeek-V3's sigmoid gate, bias balancing and a small sequence-wise loss (§2.1.2);
 * - expert choice: each expert takes 2·T/8 tokens of a sequence, 2 experts per token on average (Zhou et al. 2022);
 * - Soft MoE: 8 experts × 16 slots per 64-token sequence, the rows top-2 computes (Puigcerver et al. 2023).
 * Pure settings built from DEFAULT_TRAIN_RUN and models/moe/fine-grained.ts; validated by train-config.ts.
 */

import { fineGrained, isolateShared } from '../moe/fine-grained.ts';
import { DEFAULT_TRAIN_RUN, type FreshModel, type TrainRun } from './train-config.ts';

export const VARIANTS = ['shared', 'fine-grained', 'sigmoid', 'expert-choice', 'soft-moe'] as const;
export type Variant = (typeof VARIANTS)[number];

/** The menu's names. */
export const VARIANT_LABELS: Record<Variant, string> = {
  shared: 'shared expert (1 shared + top-1 of 7)',
  'fine-grained': 'fine-grained (top-4 of 16, half as wide)',
  sigmoid: 'sigmoid gate + bias balancing (DeepSeek-V3)',
  'expert-choice': 'expert choice (each expert picks its tokens)',
  'soft-moe': 'Soft MoE (slots mix every token)',
};

/** The race's sequences are shorter batches than the e8-top2 recipe's 16, so a race of two fits a lesson. */
export const RACE_BATCH = 8;

/** Bias balancing's rate for the sigmoid lane: DeepSeek-V3's 0.001 moves too little in a few hundred steps. */
export const SIGMOID_BIAS_RATE = 0.005;
/** Its sequence-wise balance loss α: small, as DeepSeek-V3's is, because the bias does the balancing. */
export const SIGMOID_SEQ_ALPHA = 0.001;

const base = DEFAULT_TRAIN_RUN.model as FreshModel;

/** The fresh model and routing of one lane. */
function lane(variant: Variant | 'plain'): Pick<TrainRun, 'model' | 'routing'> {
  const routing = { ...DEFAULT_TRAIN_RUN.routing };
  const layout = { numExperts: base.experts, topK: base.topK, dHidden: base.intermediate };
  const sized = (l: { numExperts: number; topK: number; dHidden: number; sharedExperts?: number }): FreshModel => ({
    ...base,
    experts: l.numExperts,
    topK: l.topK,
    intermediate: l.dHidden,
    ...(l.sharedExperts ? { sharedExperts: l.sharedExperts } : {}),
  });
  switch (variant) {
    case 'plain':
      return { model: { ...base }, routing };
    case 'shared':
      return { model: sized(isolateShared(layout, 1)), routing };
    case 'fine-grained':
      return { model: sized(fineGrained(layout, 2)), routing };
    case 'sigmoid':
      return {
        model: { ...base, scoring: 'sigmoid' },
        routing: { ...routing, auxLossCoef: SIGMOID_SEQ_ALPHA, biasUpdateRate: SIGMOID_BIAS_RATE },
      };
    case 'expert-choice':
      return { model: { ...base, router: 'expert-choice' }, routing: { ...routing, auxLossCoef: 0 } };
    case 'soft-moe':
      return { model: { ...base, router: 'soft-moe' }, routing: { ...routing, auxLossCoef: 0, zLossCoef: 0 } };
  }
}

/** One lane's whole run: the e8-top2 schedule shortened to `steps` (warm-up a tenth of it). */
export function variantRun(variant: Variant | 'plain', steps: number, seed: number): TrainRun {
  return {
    ...structuredClone(DEFAULT_TRAIN_RUN),
    ...lane(variant),
    schedule: { ...DEFAULT_TRAIN_RUN.schedule, warmup: Math.max(1, Math.round(steps / 10)) },
    steps,
    batch: RACE_BATCH,
    seed,
  };
}
