// Auxiliary router objectives: keep experts evenly used (balancing) and router logits small (z-loss).

import * as tf from '@tensorflow/tfjs-core';

/**
 * L_aux = α · N · Σᵢ fᵢ · Pᵢ, fᵢ = (slots routed to expert i) / tokens, Pᵢ = mean router probability of i
 * — Switch Transformer, Fedus et al. 2022, eq. 4, generalised to top-K as in HF `load_balancing_loss_func`.
 * Its minimum under perfectly even routing is α·K. Only Pᵢ carries a gradient; fᵢ counts discrete choices.
 * @param probs router probabilities [tokens, numExperts]
 * @param expertIndex the chosen experts, row-major [tokens, k]
 */
export function loadBalancingLoss(probs: tf.Tensor2D, expertIndex: Int32Array, alpha = 1): tf.Scalar {
  const [tokens, numExperts] = probs.shape;
  const fraction = new Float32Array(numExperts); // fᵢ, summed over the K slots as HF does
  for (const e of expertIndex) fraction[e] = (fraction[e] ?? 0) + 1 / tokens;
  return tf.tidy(() => {
    const meanProb = tf.mean(probs, 0); // Pᵢ: [numExperts]
    return tf.mul(tf.sum(tf.mul(tf.tensor1d(fraction), meanProb)), alpha * numExperts) as tf.Scalar;
  });
}

/** L_z = β · mean over tokens of (log Σᵢ exp(logitᵢ))² — ST-MoE, Zoph et al. 2022, eq. 5. */
export function routerZLoss(logits: tf.Tensor2D, beta = 1): tf.Scalar {
  return tf.tidy(() => tf.mul(tf.mean(tf.square(tf.logSumExp(logits, 1))), beta) as tf.Scalar);
}

/**
 * bᵢ ← bᵢ + γ · sign(mean load − loadᵢ): raise the selection bias of under-used experts and lower it for
 * over-used ones — DeepSeek-V3 auxiliary-loss-free balancing, DeepSeek-AI 2024, §2.1.2.
 * The bias only shifts which experts are chosen; gate weights still come from the unbiased probabilities.
 * @param bias current per-expert bias [numExperts]
 * @param expertTokens rows each expert received this step [numExperts]
 * @param rate γ, the bias update speed (DeepSeek-V3 used 0.001)
 */
export function updateSelectionBias(
  bias: ArrayLike<number>,
  expertTokens: ArrayLike<number>,
  rate: number,
): Float32Array {
  if (bias.length !== expertTokens.length) {
    throw new Error(
      `The bias has ${bias.length} entries but the load has ${expertTokens.length}; give one per expert.`,
    );
  }
  let total = 0;
  for (let e = 0; e < expertTokens.length; e++) total += expertTokens[e] ?? 0;
  const meanLoad = total / expertTokens.length;
  return Float32Array.from(bias, (b, e) => b + rate * Math.sign(meanLoad - (expertTokens[e] ?? 0)));
}
