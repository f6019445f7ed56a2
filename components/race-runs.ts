// What the race widget asks the engine for: the race's runs (race-recipes.ts) and the URLs of the token data
// and tokenizer (hashed by the bundler, as train-runs.ts does for lesson 3).
import type { TrainRequest } from '../models/engine/protocol.ts';
import manifestUrl from '../models/data/manifest.json?url';
import trainUrl from '../models/data/train.bin?url';
import validationUrl from '../models/data/validation.bin?url';
import tokenizerUrl from '../models/checkpoints/tokenizer.json?url';
import { tokenizer } from '../models/data/manifest.json';
import { raceRuns, type RaceSettings } from './race-recipes.ts';

/** The tokenizer facts a fresh model's config needs, for the parameter and FLOP readouts before training. */
export const VOCAB = { vocabSize: tokenizer.vocabSize, endOfTextId: tokenizer.endOfTextId };

export const TOKEN_DATA = { 'manifest.json': manifestUrl, 'train.bin': trainUrl, 'validation.bin': validationUrl };
export const TOKENIZER_URL = tokenizerUrl;

export function raceRequest(settings: RaceSettings): TrainRequest {
  return {
    runs: raceRuns(settings),
    data: TOKEN_DATA,
    tokenizer: TOKENIZER_URL,
    // One validation at the end: the race compares training curves, and evaluation time would blur ms/step.
    evalEvery: settings.steps,
    evalWindows: 16,
  };
}
