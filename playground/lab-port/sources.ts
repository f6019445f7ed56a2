// What the playground page offers a notebook run: the shipped checkpoints (their hashed URLs, from the
// widgets' catalog) and the token data the training widget reads. Bundler imports, so the page only.
import { CHECKPOINTS } from '../../components/checkpoint-catalog.ts';
import { trainRequest } from '../../components/train-runs.ts';
import type { LabSources } from './serve.ts';

export function pageLabSources(): LabSources {
  // The training widget's request carries the data and tokenizer URLs: one source for them.
  const { data, tokenizer } = trainRequest('moe', 1, 1);
  return {
    checkpoints: CHECKPOINTS.map(({ id, label, numExperts, trainedTopK, downloadBytes, files }) => ({
      id,
      label,
      numExperts,
      trainedTopK,
      downloadBytes,
      files,
    })),
    data,
    tokenizer,
  };
}
