// What lesson 8's fine-tuning experiment asks the engine for: the dense and 8-expert checkpoints, each
// fine-tuned on the first tokens of one genre's training documents and validated on that genre's validation
// documents, with the same optimiser settings for both. Settings only (train-config.ts checks them).
import type { TrainRequest, TrainRunSpec } from '../models/engine/protocol.ts';
import { DEFAULT_TRAIN_RUN, type TrainRun } from '../models/training/train-config.ts';
import manifestUrl from '../models/data/manifest.json?url';
import trainUrl from '../models/data/train.bin?url';
import validationUrl from '../models/data/validation.bin?url';
import tokenizerUrl from '../models/checkpoints/tokenizer.json?url';
import { checkpointById } from './checkpoint-catalog.ts';
import type { FinetuneState } from './costs-state.ts';

/** The two models compared, by checkpoint id. */
export const FINETUNE_MODELS = ['dense', 'e8-top2'] as const;

/** One fine-tuning run: a constant 1e-3 learning rate (a third of pre-training's peak), batches of 8 × 64. */
export function finetuneRun(id: string, s: FinetuneState): TrainRun {
  const dense = id === 'dense';
  return {
    ...DEFAULT_TRAIN_RUN,
    model: { from: 'checkpoint', checkpoint: id },
    // The checkpoint's own router losses: none for the dense model, Mixtral's 0.02 and ST-MoE's 0.001 otherwise.
    routing: { ...DEFAULT_TRAIN_RUN.routing, auxLossCoef: dense ? 0 : 0.02, zLossCoef: dense ? 0 : 0.001 },
    schedule: { ...DEFAULT_TRAIN_RUN.schedule, lr: 1e-3, minLr: 1e-3, warmup: 0 },
    steps: s.steps,
    batch: 8,
    seqLen: 64,
    seed: 1,
    data: { genres: [s.genre], maxTokens: s.slice, validateOnGenres: true },
    ...(s.freeze ? { trainable: 'attention-router' as const } : {}),
  };
}

export function finetuneRequest(s: FinetuneState): TrainRequest {
  const runs: TrainRunSpec[] = FINETUNE_MODELS.map((id) => {
    const checkpoint = checkpointById(id);
    if (!checkpoint) throw new Error(`The checkpoint ${id} was not built with this site.`);
    return { id, run: finetuneRun(id, s), checkpoint };
  });
  return {
    runs,
    data: { 'manifest.json': manifestUrl, 'train.bin': trainUrl, 'validation.bin': validationUrl },
    tokenizer: tokenizerUrl,
    evalEvery: Math.max(2, Math.round(s.steps / 8)),
    evalWindows: 16,
  };
}
