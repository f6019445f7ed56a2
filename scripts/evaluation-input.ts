// What `eval` and `analyze` both start from: a checkpoint on a backend, and one corpus split tokenised with
// the checkpoint's own tokenizer (cached in .build/tokens/ by the tokenizer's content).
import { join } from 'node:path';
import { Lab } from '../models/lab.ts';
import type { BackendName } from '../models/runtime/backends.ts';
import { SPLIT_NAMES } from '../models/text/corpus.ts';
import type { SplitName } from '../models/text/corpus.ts';
import type { Tokenizer } from '../models/text/tokenizer.ts';
import { loadTokenizedSplits } from './training-data.ts';
import type { TokenizedSplit } from './training-data.ts';

export interface EvaluationInput {
  lab: Lab;
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
  const lab = await Lab.load({ dir }, { backend: options.backend as BackendName });
  if (!lab.hasTokenizer) {
    lab.dispose();
    throw new Error(`${dir} has no tokenizer.json; copy models/checkpoints/tokenizer.json there.`);
  }
  const { tokenizer } = lab;
  const loaded = { tokenizer, json: tokenizer.toJSON(), path: join(dir, 'tokenizer.json') };
  const split = loadTokenizedSplits(loaded, [options.split as SplitName])[options.split as SplitName]!;
  return { lab, tokenizer, split };
}
