// What the training widget asks the engine for: the shipped recipes (models/checkpoints/*/training.json),
// shortened to the reader's steps, and the URLs of the token data and tokenizer (hashed by the bundler, so
// the offline cache never serves a stale file). Settings only; the model maths lives in models/.
import type { TrainRequest, TrainRunSpec } from '../models/engine/protocol.ts';
import manifestUrl from '../models/data/manifest.json?url';
import trainUrl from '../models/data/train.bin?url';
import validationUrl from '../models/data/validation.bin?url';
import tokenizerUrl from '../models/checkpoints/tokenizer.json?url';
import { recipe } from './train-recipes.ts';
import type { TrainMode } from './train-state.ts';

export { RUN_LABELS } from './train-recipes.ts';

/** The token data and tokenizer every training request names (also the "After Mixtral" race's). */
export const TRAINING_FILES: Pick<TrainRequest, 'data' | 'tokenizer'> = {
  data: { 'manifest.json': manifestUrl, 'train.bin': trainUrl, 'validation.bin': validationUrl },
  tokenizer: tokenizerUrl,
};

export function trainRequest(mode: TrainMode, steps: number, seed: number): TrainRequest {
  const kinds: ('moe' | 'dense')[] = mode === 'race' ? ['dense', 'moe'] : [mode];
  const runs: TrainRunSpec[] = kinds.map((kind) => ({ id: kind, run: recipe(kind, steps, seed) }));
  return {
    runs,
    ...TRAINING_FILES,
    // Validation on 16 windows of 64 tokens, 10 times a run: a steady curve without doubling the run time.
    evalEvery: Math.max(10, Math.round(steps / 10)),
    evalWindows: 16,
  };
}
