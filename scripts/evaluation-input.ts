// What `eval` and `analyze` both start from: a checkpoint on a backend, and one corpus split tokenised with
// the checkpoint's own tokenizer (cached in .build/tokens/ by the tokenizer's content).
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setupNodeBackend } from '../models/node/backend-node.ts';
import type { BackendName } from '../models/runtime/backend.ts';
import { SPLIT_NAMES } from '../models/text/corpus.ts';
import type { SplitName } from '../models/text/corpus.ts';
import { Tokenizer } from '../models/text/tokenizer.ts';
import type { MixtralModel } from '../models/nn/transformer.ts';
import { loadTokenizedSplits } from './training-data.ts';
import type { TokenizedSplit } from './training-data.ts';
import { loadModelDir } from './training-state.ts';

export interface EvaluationInput {
  model: MixtralModel;
  tokenizer: Tokenizer;
  split: TokenizedSplit;
}

/** Checks the arguments (throwing sentences that name the command) and loads what they point at. */
export async function openForEvaluation(
  command: string,
  dir: string | undefined,
  options: { split: string; backend: string },
): Promise<EvaluationInput> {
  if (!dir)
    throw new Error(`Name the checkpoint directory, e.g. npm run moe -- ${command} models/checkpoints/e8-top2.`);
  if (!SPLIT_NAMES.includes(options.split as SplitName)) {
    throw new Error(`--split must be one of ${SPLIT_NAMES.join(', ')}; got "${options.split}".`);
  }
  if (options.backend !== 'wasm' && options.backend !== 'cpu') {
    throw new Error(`--backend must be wasm or cpu in Node; got "${options.backend}".`);
  }
  // Also makes tfjs check every kernel for leaked buffers, which a long evaluation would reveal.
  tf.env().set('IS_TEST', true);
  await setupNodeBackend(options.backend as BackendName);
  const { model, tokenizerJson } = await loadModelDir(dir);
  const tokenizer = Tokenizer.fromJSON(tokenizerJson);
  const loaded = { tokenizer, json: tokenizerJson, path: join(dir, 'tokenizer.json') };
  const split = loadTokenizedSplits(loaded, [options.split as SplitName])[options.split as SplitName]!;
  return { model, tokenizer, split };
}
