// What the training widget asks the engine for: the shipped recipes (models/checkpoints/*/training.json),
// shortened to the reader's steps, and the URLs of the token data and tokenizer (hashed by the bundler, so
// the offline cache never serves a stale file). Settings only; the model maths lives in models/.
import type { TrainRequest, TrainRunSpec } from '../models/engine/protocol.ts';
import { DEFAULT_TRAIN_RUN, type FreshModel, type TrainRun } from '../models/training/train-config.ts';
import manifestUrl from '../models/data/manifest.json?url';
import trainUrl from '../models/data/train.bin?url';
import validationUrl from '../models/data/validation.bin?url';
import tokenizerUrl from '../models/checkpoints/tokenizer.json?url';
import type { TrainMode } from './train-state.ts';

/** The 8-expert top-2 recipe (e8-top2's) and the dense one at equal active compute (dense's): one block twice as wide as an expert, no router losses. */
export function recipe(kind: 'moe' | 'dense', steps: number, seed: number): TrainRun {
  const base = DEFAULT_TRAIN_RUN;
  const model = base.model as FreshModel; // the default run trains a fresh model
  // The shipped runs warm up for 100 of 1,500 steps; a short run keeps the same proportion.
  const schedule = { ...base.schedule, warmup: Math.min(base.schedule.warmup, Math.round(steps / 15)) };
  if (kind === 'moe') return { ...base, schedule, steps, seed };
  return {
    ...base,
    model: { ...model, experts: 1, topK: 1, intermediate: 2 * model.intermediate },
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

export function trainRequest(mode: TrainMode, steps: number, seed: number): TrainRequest {
  const kinds: ('moe' | 'dense')[] = mode === 'race' ? ['dense', 'moe'] : [mode];
  const runs: TrainRunSpec[] = kinds.map((kind) => ({ id: kind, run: recipe(kind, steps, seed) }));
  return {
    runs,
    data: { 'manifest.json': manifestUrl, 'train.bin': trainUrl, 'validation.bin': validationUrl },
    tokenizer: tokenizerUrl,
    // Validation on 16 windows of 64 tokens, 10 times a run: a steady curve without doubling the run time.
    evalEvery: Math.max(10, Math.round(steps / 10)),
    evalWindows: 16,
  };
}
