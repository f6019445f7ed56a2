// The experts: N independent SwiGLU feed-forward networks, stored exactly as Hugging Face's
// `MixtralSparseMoeBlock` stores them (`experts.{i}.w1/w2/w3.weight`), so checkpoints map 1:1.

import * as tf from '@tensorflow/tfjs-core';
import { groupedMatMul } from './grouped-matmul.ts';

/** One expert's weights, in nn.Linear layout ([out, in]). */
export interface ExpertWeights {
  /** Gate projection, HF `w1`: [dHidden, dModel]. */
  w1: tf.Tensor2D;
  /** Down projection, HF `w2`: [dModel, dHidden]. */
  w2: tf.Tensor2D;
  /** Up projection, HF `w3`: [dHidden, dModel]. */
  w3: tf.Tensor2D;
}

/** y = W2 · (silu(W1·x) ⊙ W3·x) — SwiGLU, Shazeer 2020, eq. 6; HF `MixtralBlockSparseTop2MLP`. */
export function swiGLU(x: tf.Tensor2D, w: ExpertWeights): tf.Tensor2D {
  const gate = tf.matMul(x, w.w1, false, true); // [rows, dHidden]
  const up = tf.matMul(x, w.w3, false, true); // [rows, dHidden]
  const hidden = tf.mul(tf.mul(gate, tf.sigmoid(gate)), up); // silu(gate) ⊙ up
  return tf.matMul(hidden, w.w2, false, true); // [rows, dModel]
}

/**
 * Every expert's SwiGLU on its own block of rows: rows [Σ groupSizes, dModel] sorted by expert,
 * groupSizes[e] rows for expert e (0 allowed). Same maths as `swiGLU` per block, without splitting x.
 * @returns [rows, dModel]
 */
export function groupedSwiGLU(rows: tf.Tensor2D, experts: ExpertWeights[], groupSizes: number[]): tf.Tensor2D {
  const gate = groupedMatMul(
    rows,
    experts.map((w) => w.w1),
    groupSizes,
  ); // [rows, dHidden]
  const up = groupedMatMul(
    rows,
    experts.map((w) => w.w3),
    groupSizes,
  ); // [rows, dHidden]
  const hidden = tf.mul(tf.mul(gate, tf.sigmoid(gate)), up) as tf.Tensor2D; // silu(gate) ⊙ up
  return groupedMatMul(
    hidden,
    experts.map((w) => w.w2),
    groupSizes,
  ); // [rows, dModel]
}

/**
 * Fresh expert weights, uniform in ±1/√fanIn like PyTorch's nn.Linear default, as trainable variables.
 * `seed` makes them reproducible; expert i uses seed + 3i … seed + 3i + 2.
 */
export function initExperts(numExperts: number, dModel: number, dHidden: number, seed = 0): ExpertWeights[] {
  return Array.from({ length: numExperts }, (_, i) => ({
    w1: linearWeight(dHidden, dModel, seed + 3 * i),
    w2: linearWeight(dModel, dHidden, seed + 3 * i + 1),
    w3: linearWeight(dHidden, dModel, seed + 3 * i + 2),
  }));
}

/** A trainable [out, in] weight, uniform in ±1/√in (PyTorch's nn.Linear default). */
export function linearWeight(out: number, inp: number, seed: number): tf.Variable<tf.Rank.R2> {
  const bound = 1 / Math.sqrt(inp);
  return tf.tidy(() => tf.variable(tf.randomUniform([out, inp], -bound, bound, 'float32', seed)));
}
