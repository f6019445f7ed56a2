// DeepSeek-V3's gate: each expert's affinity is a sigmoid of its own logit, not a share of a softmax, so
// an expert's score does not fall because another's rose; the K chosen affinities are then normalised.
//
//   s_{i,t} = sigmoid(u_tᵀ e_i)                                      DeepSeek-V3, DeepSeek-AI 2024, eq. 15
//   chosen  = TopK over i of (s_{i,t} + b_i)                         eq. 16 (b: aux-loss-free balancing bias)
//   g_{i,t} = s_{i,t} / Σ_{j ∈ chosen} s_{j,t}  for i ∈ chosen, else 0   eqs. 13–14
//
// The bias b only decides which experts are chosen; the weights come from the unbiased s (§2.1.2).
// `models/moe/losses.ts` has the bias update and the sequence-wise balance loss that go with it.

import * as tf from '@tensorflow/tfjs-core';
import { checkK } from './check-k.ts';
import { gatherChosen, readScores, selectTopK, withBias } from './router.ts';
import type { Routing, TopKOptions } from './router.ts';

/**
 * The sigmoid top-K gate. `Routing.probs` holds the affinities s (each in (0, 1), rows need not sum to 1).
 * With `normTopK: false` the weights stay the raw affinities (DeepSeek-V3's config has norm_topk_prob true).
 * `options.probsData` is s already read back, as for the softmax gate.
 */
export function sigmoidTopKGate(logits: tf.Tensor2D, k: number, options: TopKOptions = {}): Routing {
  const [tokens, numExperts] = logits.shape;
  checkK(k, numExperts);
  const probs = tf.sigmoid(logits); // s: [tokens, numExperts]
  const probsData = options.probsData ?? readScores(probs);
  const expertIndex = selectTopK(withBias(probsData, numExperts, options.selectionBias), numExperts, k);
  const chosen = gatherChosen(probs, expertIndex, tokens, k); // [tokens, k]
  const gateWeights = options.normTopK === false ? chosen : (tf.div(chosen, tf.sum(chosen, 1, true)) as tf.Tensor2D);
  return { expertIndex, gateWeights, probs, probsData };
}
