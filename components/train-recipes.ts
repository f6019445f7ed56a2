// The two runs the training widget offers, as models/training/train-config.ts describes a run: e8-top2's
// recipe and dense's (models/checkpoints/*/training.json), shortened to the reader's steps. No bundler
// imports, so `npm run bench:browser` trains the very same runs in Node.
import { DEFAULT_TRAIN_RUN, type FreshModel, type TrainRun } from '../models/training/train-config.ts';

/** The 8-expert top-2 recipe (e8-top2's) and the dense one at equal active compute (dense's): one block twice as wide as an expert, no router losses. */
export function recipe(kind: 'moe' | 'dense', steps: number, seed: number): TrainRun {
  const base = DEFAULT_TRAIN_RUN;
  const model = base.model as FreshModel; // the default run trains a fresh model
  // The shipped runs warm up for 100 of 1,500 steps; a short run keeps the same proportion.
  const schedule = { ...base.schedule, warmup: Math.min(base.schedule.warmup, Math.round(steps / 15)) };
  if (kind === 'moe') return { ...base, schedule, steps, seed };
  return {
    ...base,
    // Equal active compute: one block as wide as the K experts a token uses.
    model: { ...model, experts: 1, topK: 1, intermediate: model.topK * model.intermediate },
    routing: { ...base.routing, auxLossCoef: 0, zLossCoef: 0 },
    schedule,
    steps,
    seed,
  };
}

export const RUN_LABELS: Record<'moe' | 'dense', string> = {
  moe: '8 experts, top-2',
  dense: 'dense (one block as wide as 2 experts)',
};
