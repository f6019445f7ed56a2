// The router (gate): scores every expert for every token, picks K of them, and weights their outputs.
//
// The choice of experts is discrete and has no gradient (tfjs's TopK has none at all), so it is made in
// JavaScript on numbers read back from the device. The gradient reaches the router through the gate
// weights instead: they are the chosen entries of the softmax, gathered by index on the tape.

import * as tf from '@tensorflow/tfjs-core';
import { checkK } from './check-k.ts';

/** Which experts each token goes to, and with what weight. */
export interface Routing {
  /** Experts chosen per token, best first: row-major [tokens, k]. */
  expertIndex: Int32Array;
  /** Weight of each chosen expert's output, on the tape: [tokens, k]. */
  gateWeights: tf.Tensor2D;
  /** Router probabilities over all experts (the Pᵢ of the balancing loss): [tokens, numExperts]. */
  probs: tf.Tensor2D;
  /** The same probabilities, read back, that the choice was made from: [tokens · numExperts]. */
  probsData: Float32Array;
}

/** Options shared by the top-K gates. */
export interface TopKOptions {
  /** Renormalise the K chosen probabilities to sum to 1 (Mixtral: true; Qwen-MoE, Switch: false). */
  normTopK?: boolean;
  /** Per-expert bias added to the probabilities for the choice only (aux-loss-free balancing). */
  selectionBias?: ArrayLike<number>;
  /**
   * The probabilities already read back by the caller, [tokens · numExperts]. Inference on WebGPU reads
   * them asynchronously (`await probs.data()`), because a synchronous read there is slow or broken.
   */
  probsData?: Float32Array;
}

/** logits = x · Wgᵀ, with Wg stored [numExperts, dModel] like HF's `gate.weight`. */
export function gateLogits(x: tf.Tensor2D, wGate: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(x, wGate, false, true); // [tokens, numExperts]
}

/** g = softmax(logits), every expert used — Jacobs et al. 1991; Shazeer et al. 2017, eq. 2. */
export function denseSoftmaxGate(logits: tf.Tensor2D): Routing {
  const [tokens, numExperts] = logits.shape;
  const probs = tf.softmax(logits);
  const probsData = readScores(probs);
  const expertIndex = new Int32Array(tokens * numExperts).map((_, i) => i % numExperts);
  return { expertIndex, gateWeights: tf.clone(probs), probs, probsData };
}

/**
 * g = renorm(topK(softmax(logits))) = softmax over the K chosen logits — Mixtral, Jiang et al. 2024, §2.1.
 * With `normTopK: false` the weights stay the raw probabilities (Qwen1.5-MoE's `norm_topk_prob = False`).
 */
export function topKGate(logits: tf.Tensor2D, k: number, options: TopKOptions = {}): Routing {
  const [tokens, numExperts] = logits.shape;
  checkK(k, numExperts);
  const probs = tf.softmax(logits); // [tokens, numExperts]
  const probsData = options.probsData ?? readScores(probs);
  const expertIndex = selectTopK(withBias(probsData, numExperts, options.selectionBias), numExperts, k);
  const chosen = gatherChosen(probs, expertIndex, tokens, k); // [tokens, k]
  const gateWeights = options.normTopK === false ? chosen : (tf.div(chosen, tf.sum(chosen, 1, true)) as tf.Tensor2D);
  return { expertIndex, gateWeights, probs, probsData };
}

/** g = pᵢ for the single best expert, not renormalised — Switch Transformer, Fedus et al. 2022, eq. 2. */
export function switchGate(logits: tf.Tensor2D, options: Omit<TopKOptions, 'normTopK'> = {}): Routing {
  return topKGate(logits, 1, { ...options, normTopK: false });
}

/**
 * H = logits + ε·softplus(x·W_noiseᵀ), ε ~ N(0, 1); g = softmax(keepTopK(H)) — Shazeer et al. 2017, eqs. 3–5.
 * `noiseLogits` is x·W_noiseᵀ and `noise` the ε sample, both [tokens, numExperts]; pass no noise at inference.
 */
export function noisyTopKGate(
  logits: tf.Tensor2D,
  k: number,
  noiseLogits: tf.Tensor2D,
  noise: tf.Tensor2D,
  options: TopKOptions = {},
): Routing {
  const noisy = tf.add(logits, tf.mul(noise, tf.softplus(noiseLogits))) as tf.Tensor2D;
  return topKGate(noisy, k, options);
}

/** The K largest scores per row, best first; ties go to the lower expert index (as a stable sort would). */
export function selectTopK(scores: ArrayLike<number>, numExperts: number, k: number): Int32Array {
  checkK(k, numExperts);
  const tokens = scores.length / numExperts;
  const out = new Int32Array(tokens * k);
  const best = new Float64Array(k);
  for (let t = 0; t < tokens; t++) {
    const row = t * numExperts;
    const sel = out.subarray(t * k, t * k + k);
    let filled = 0;
    for (let e = 0; e < numExperts; e++) {
      const s = scores[row + e] ?? NaN;
      if (!Number.isFinite(s)) {
        throw new Error(
          `The router produced a non-finite score (${s}) for token ${t}, expert ${e}; ` +
            'check the input and the router weights for NaN or Infinity.',
        );
      }
      // Insertion into the sorted top-k; strict '>' keeps the earlier expert ahead on ties.
      let j: number;
      if (filled < k) j = filled++;
      else if (s > best[k - 1]!) j = k - 1;
      else continue;
      while (j > 0 && s > best[j - 1]!) {
        best[j] = best[j - 1]!;
        sel[j] = sel[j - 1]!;
        j--;
      }
      best[j] = s;
      sel[j] = e;
    }
  }
  return out;
}

/**
 * The gate weights of `topKGate`, computed from the read-back probabilities instead of on the device, so
 * statistics need no second download: pᵢ of each chosen expert, divided by their sum when `normTopK`.
 */
export function chosenWeights(
  probsData: ArrayLike<number>,
  expertIndex: Int32Array,
  numExperts: number,
  k: number,
  normTopK: boolean,
): Float32Array {
  const out = new Float32Array(expertIndex.length);
  for (let t = 0; t < expertIndex.length / k; t++) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += out[t * k + j] = probsData[t * numExperts + expertIndex[t * k + j]!]!;
    if (normTopK) for (let j = 0; j < k; j++) out[t * k + j]! /= sum;
  }
  return out;
}

/** probs[t, expertIndex[t, j]] for every token t and slot j, on the tape: [tokens, k]. */
export function gatherChosen(probs: tf.Tensor2D, expertIndex: Int32Array, tokens: number, k: number): tf.Tensor2D {
  const numExperts = probs.shape[1];
  const flatIndex = expertIndex.map((e, i) => Math.floor(i / k) * numExperts + e);
  const flat = tf.reshape(probs, [tokens * numExperts]);
  return tf.reshape(tf.gather(flat, tf.tensor1d(flatIndex, 'int32')), [tokens, k]);
}

export function readScores(probs: tf.Tensor2D): Float32Array {
  return probs.dataSync() as Float32Array;
}

/** The scores the choice is made from: probabilities plus the per-expert selection bias, if any. */
export function withBias(probs: Float32Array, numExperts: number, bias?: ArrayLike<number>): ArrayLike<number> {
  if (bias === undefined) return probs;
  if (bias.length !== numExperts) {
    throw new Error(`The selection bias needs one value per expert (${numExperts}); got ${bias.length}.`);
  }
  return probs.map((p, i) => p + (bias[i % numExperts] ?? 0));
}
