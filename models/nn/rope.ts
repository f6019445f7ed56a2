// Rotary position embeddings (Su et al. 2021, RoFormer §3.4), in Hugging Face's "half-split" convention:
// the two halves of each head vector are rotated against each other (`rotate_half`), not interleaved
// pairs as in the paper. Checkpoints trained one way give wrong outputs the other way, so this must
// match transformers' `apply_rotary_pos_emb` exactly.
import * as tf from '@tensorflow/tfjs-core';

export interface RopeTables {
  /** cos(position · θ_i), each frequency twice (first and second half): [seq, headDim]. */
  cos: tf.Tensor2D;
  sin: tf.Tensor2D;
}

/** Angles for positions start … start+length−1; θ_i = theta^(−2i/headDim), i < headDim/2. */
export function ropeTables(headDim: number, start: number, length: number, theta: number): RopeTables {
  if (headDim % 2 !== 0) throw new Error(`Rotary embeddings need an even head size; got ${headDim}.`);
  const half = headDim / 2;
  // Rounded to float32 where transformers computes in float32 (frequencies, then angles), so long
  // positions give the same angles as PyTorch, not more precise ones.
  const cos = new Float32Array(length * headDim);
  const sin = new Float32Array(length * headDim);
  for (let p = 0; p < length; p++) {
    for (let i = 0; i < half; i++) {
      const invFreq = Math.fround(1 / Math.fround(Math.pow(theta, Math.fround((2 * i) / headDim))));
      const angle = Math.fround((start + p) * invFreq);
      for (const j of [i, i + half]) {
        cos[p * headDim + j] = Math.cos(angle);
        sin[p * headDim + j] = Math.sin(angle);
      }
    }
  }
  return { cos: tf.tensor2d(cos, [length, headDim]), sin: tf.tensor2d(sin, [length, headDim]) };
}

/** [x₁, x₂] → [−x₂, x₁] on the last axis, x₁ and x₂ being its two halves. */
export function rotateHalf<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const [x1, x2] = tf.split(x, 2, -1) as [tf.Tensor, tf.Tensor];
    return tf.concat([tf.neg(x2), x1], -1) as T;
  });
}

/** x·cos + rotate_half(x)·sin. x: [batch, heads, seq, headDim]; tables broadcast over batch and heads. */
export function applyRope<T extends tf.Tensor>(x: T, tables: RopeTables): T {
  return tf.tidy(() => tf.add(tf.mul(x, tables.cos), tf.mul(rotateHalf(x), tables.sin)) as T);
}
