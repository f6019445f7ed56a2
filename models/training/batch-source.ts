// Training and validation batches over a token split (models/token-data.ts), cut by the very functions
// `npm run moe -- train` calls (models/batches.ts), so that a browser run and a Node run with the same
// seed see the same batches in the same order. Pure: no fs, no DOM, no tfjs.

import { evalBatches, randomBatch } from '../text/batches.ts';
import type { Batch, BatchConfig } from '../text/batches.ts';
import type { TokenSplit } from '../text/token-data.ts';

/** The batches one training run draws. */
export interface BatchSource {
  /** Tokens in the stream the windows are cut from. */
  tokens: number;
  /** The training batch for `step`: a pure function of (stream, step, seed), so a resumed run needs no RNG state. */
  batch(step: number): Batch;
}

/**
 * Random windows of `seqLen + 1` tokens from `split`, `batchSize` per step. Checks the geometry up front
 * (a split shorter than one window is refused here, not at step 0 of a started run).
 */
export function batchSource(split: TokenSplit, config: BatchConfig): BatchSource {
  randomBatch(split.stream, 0, config); // throws a sentence when the split cannot hold one window
  return { tokens: split.stream.length, batch: (step) => randomBatch(split.stream, step, config) };
}

/**
 * The fixed validation batches: at most `maxWindows` non-overlapping windows, spread over the split, as the
 * training command scores validation loss (its `--eval-windows`).
 */
export function validationBatches(split: TokenSplit, batchSize: number, seqLen: number, maxWindows: number): Batch[] {
  return evalBatches(split.stream, batchSize, seqLen, maxWindows);
}
