// Causal multi-head self-attention with grouped key/value heads (GQA, Ainslie et al. 2023) and rotary
// position embeddings: Hugging Face `MixtralAttention` (no biases, no sliding window in Mixtral 8x7B).
import * as tf from '@tensorflow/tfjs-core';
import type { LayerCache } from './kv-cache.ts';
import { applyRope, ropeTables } from './rope.ts';

/** nn.Linear layout ([out, in]), as in the checkpoint: `self_attn.{q,k,v,o}_proj.weight`. */
export interface AttentionWeights {
  q: tf.Tensor2D; // [heads·headDim, d]
  k: tf.Tensor2D; // [kvHeads·headDim, d]
  v: tf.Tensor2D; // [kvHeads·headDim, d]
  o: tf.Tensor2D; // [d, heads·headDim]
}

export interface AttentionShape {
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  ropeTheta: number;
}

export interface AttentionResult {
  output: tf.Tensor3D; // [batch, seq, d]
  /** The cache extended by this call's keys and values (only when a cache was passed in). */
  cache: LayerCache | null;
}

/** [batch, seq, heads·headDim] → [batch, heads, seq, headDim]. */
function splitHeads(x: tf.Tensor3D, heads: number, headDim: number): tf.Tensor4D {
  const [batch, seq] = x.shape;
  return tf.transpose(tf.reshape(x, [batch, seq, heads, headDim]), [0, 2, 1, 3]);
}

/** 0 where query i (at absolute position past+i) may see key j, −1e9 where j is in its future: [seq, past+seq]. */
export function causalMask(seq: number, past: number): tf.Tensor2D {
  const total = past + seq;
  const mask = new Float32Array(seq * total);
  for (let i = 0; i < seq; i++) for (let j = past + i + 1; j < total; j++) mask[i * total + j] = -1e9;
  return tf.tensor2d(mask, [seq, total]);
}

/**
 * softmax(q·kᵀ/√headDim + mask)·v over the heads, then the output projection.
 * x: [batch, seq, d] (already normalised). With `cache`, x holds the positions after the cached ones.
 */
export function selfAttention(
  x: tf.Tensor3D,
  w: AttentionWeights,
  shape: AttentionShape,
  cache: LayerCache | null = null,
): AttentionResult {
  const { numHeads, numKvHeads, headDim, ropeTheta } = shape;
  const [batch, seq] = x.shape;
  const past = cache ? cache.k.shape[2] : 0;
  const result = tf.tidy(() => {
    const flat = tf.reshape(x, [batch * seq, x.shape[2]]);
    const project = (weight: tf.Tensor2D, heads: number) =>
      splitHeads(tf.reshape(tf.matMul(flat, weight, false, true), [batch, seq, heads * headDim]), heads, headDim);
    const rope = ropeTables(headDim, past, seq, ropeTheta);
    const q = applyRope(project(w.q, numHeads), rope); // [b, h, s, hd]
    let k = applyRope(project(w.k, numKvHeads), rope); // [b, kv, s, hd]
    let v = project(w.v, numKvHeads); // [b, kv, s, hd]
    if (cache) {
      k = tf.concat([cache.k, k], 2);
      v = tf.concat([cache.v, v], 2);
    }
    // Grouped-query attention without copying keys and values: the `groups` query heads that share a
    // key/value head (heads g·groups … g·groups+groups−1, as transformers' repeat_kv pairs them) are
    // stacked along the sequence axis and attend to that head's keys in one matmul.
    const groups = numHeads / numKvHeads;
    const qGrouped = tf.reshape(q, [batch, numKvHeads, groups * seq, headDim]);
    const mask = tf.tile(causalMask(seq, past), [groups, 1]); // [groups·s, past+s]
    const scores = tf.add(tf.mul(tf.matMul(qGrouped, k, false, true), 1 / Math.sqrt(headDim)), mask); // [b, kv, groups·s, past+s]
    const grouped = tf.matMul(tf.softmax(scores), v); // [b, kv, groups·s, hd]
    const context = tf.reshape(grouped, [batch, numHeads, seq, headDim]);
    const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch * seq, numHeads * headDim]);
    const output = tf.reshape(tf.matMul(merged, w.o, false, true), [batch, seq, w.o.shape[0]]) as tf.Tensor3D;
    return { output, k, v };
  });
  if (cache) return { output: result.output, cache: { k: result.k, v: result.v } };
  result.k.dispose();
  result.v.dispose();
  return { output: result.output, cache: null };
}
