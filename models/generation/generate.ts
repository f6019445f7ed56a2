// Text generation with a KV cache: one pass over the prompt ("prefill"), then one token at a time, each
// step feeding only the newest token and reusing the keys and values of all earlier ones.
import * as tf from '@tensorflow/tfjs-core';
import { seededRandom } from '../random.ts';
import { checkSampling, sampleToken, type SamplingOptions } from './sample.ts';
import { disposeCache, emptyCache } from '../nn/kv-cache.ts';
import { mixtralForwardAsync, type LayerRouting, type MixtralModel } from '../nn/transformer.ts';

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  /** Seed for sampling; the same seed, prompt and model give the same text. */
  seed: number;
  /** Inference-time K (experts per token); the model's own by default. */
  topK?: number;
  /** Stop when the model picks one of these ids (e.g. `<|endoftext|>`); the stop id itself is not yielded. */
  stopIds?: readonly number[];
  /** Collect per-layer routing for each new token. */
  stats?: boolean;
}

export interface GeneratedToken {
  id: number;
  /** Routing of the forward pass that consumed this step's input (the prompt, for the first token). */
  routing: LayerRouting[] | null;
  /** Milliseconds this step's forward pass and sampling took (the first includes the prefill). */
  ms: number;
}

const now = (): number => performance.now();

/**
 * Yields the generated tokens one by one, so a caller can stream them and stop early (`break`). The KV
 * cache is freed when the generator finishes or is abandoned.
 */
export async function* generateTokens(
  model: MixtralModel,
  promptIds: readonly number[],
  options: GenerateOptions,
): AsyncGenerator<GeneratedToken> {
  checkSampling(options);
  if (promptIds.length === 0) throw new RangeError('The prompt must hold at least one token (e.g. <|endoftext|>).');
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 0) {
    throw new RangeError(`maxNewTokens must be a whole number ≥ 0; got ${options.maxNewTokens}.`);
  }
  const room = model.config.max_position_embeddings - promptIds.length;
  if (room < options.maxNewTokens) {
    throw new RangeError(
      `The prompt (${promptIds.length} tokens) plus ${options.maxNewTokens} new tokens exceeds this model's ${model.config.max_position_embeddings}-token context.`,
    );
  }
  const random = seededRandom(options.seed);
  const cache = emptyCache(model.config);
  try {
    let input = [...promptIds];
    for (let step = 0; step < options.maxNewTokens; step++) {
      const start = now();
      const ids = tf.tensor2d([input], [1, input.length], 'int32');
      const { logits, routing } = await mixtralForwardAsync(model, ids, {
        cache,
        hostIds: input,
        topK: options.topK,
        stats: options.stats,
      });
      const last = tf.tidy(() => tf.slice(logits, [0, input.length - 1, 0], [1, 1, model.config.vocab_size]));
      const values = await last.data();
      tf.dispose([ids, logits, last]);
      const id = sampleToken(values, options, random);
      if (options.stopIds?.includes(id)) return;
      yield { id, routing, ms: now() - start };
      input = [id];
    }
  } finally {
    disposeCache(cache);
  }
}
