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

/**
 * Sequence-wise balance loss, for the sigmoid gate — DeepSeek-V3, DeepSeek-AI 2024, eqs. 17–20 (§2.1.2):
 *   L_Bal = α Σᵢ fᵢ Pᵢ,  fᵢ = N / (K·T) · Σₜ 1(expert i chosen for token t),
 *   Pᵢ = (1/T) Σₜ s'ᵢ,ₜ,  s'ᵢ,ₜ = sᵢ,ₜ / Σⱼ sⱼ,ₜ  (affinities normalised over all experts),
 * over the T tokens of each sequence, averaged over sequences. DeepSeek-V3 keeps α tiny: the bias does the
 * balancing, this only stops a single sequence from being extremely lopsided. Its value under perfectly even
 * routing is α (every fᵢ = 1 and the Pᵢ sum to 1). Only Pᵢ carries a gradient.
 * @param scores the sigmoid affinities s [tokens, numExperts], tokens = sequences · T
 * @param expertIndex the chosen experts, row-major [tokens, k]
 */
export function sequenceBalanceLoss(
  scores: tf.Tensor2D,
  expertIndex: Int32Array,
  k: number,
  seqLen: number,
  alpha = 1,
): tf.Scalar {
  const [tokens, numExperts] = scores.shape;
  if (!Number.isInteger(seqLen) || seqLen < 1 || tokens % seqLen !== 0) {
    throw new RangeError(`The sequence length (${seqLen}) must divide the ${tokens} tokens.`);
  }
  const sequences = tokens / seqLen;
  const fraction = new Float32Array(sequences * numExperts); // fᵢ per sequence: [sequences, N]
  expertIndex.forEach((e, slot) => {
    const seq = Math.floor(Math.floor(slot / k) / seqLen);
    fraction[seq * numExperts + e]! += numExperts / (k * seqLen);
  });
  return tf.tidy(() => {
    const normed = tf.div(scores, tf.sum(scores, 1, true)); // s': [tokens, N]
    const meanProb = tf.mean(tf.reshape(normed, [sequences, seqLen, numExperts]), 1); // Pᵢ: [sequences, N]
    const perSeq = tf.sum(tf.mul(tf.tensor2d(fraction, [sequences, numExperts]), meanProb), 1);
    return tf.mul(tf.mean(perSeq), alpha) as tf.Scalar;
  });
}
