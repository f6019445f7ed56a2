// Soft MoE: no token is routed anywhere; each expert works on a few "slots", and every slot is a
// softmax-weighted average of all the group's tokens — Puigcerver et al. 2023, "From Sparse to Soft
// Mixtures of Experts", §2.1 (Algorithm 1):
//
//   logits = X · Φ                         [m tokens, n·p slots]  (Φ stored [n·p, d], nn.Linear layout)
//   D = softmax over tokens (columns)      dispatch weights: slot s = Σ_t D[t, s] · x_t
//   X̃ = Dᵀ · X                            [n·p, d]; expert i takes slots i·p … i·p + p − 1
//   Ỹ_s = FFN_{⌊s/p⌋}(X̃_s)
//   C = softmax over slots (rows)          combine weights
//   Y = C · Ỹ                              [m, d]
//
// It answers what sparse routing cannot: it is fully differentiable (no discrete choice, so no balancing
// loss and no dropped tokens) and every expert's cost is fixed by p, not by the routing. The price is
// causality: every slot mixes every token of the group, so in a causal LM each position would read the
// future through the slots. The paper uses it in vision encoders (ViT), where all tokens are seen at once.
// The group here is one sequence. (The paper also L2-normalises X and Φ with a learnt scale for large d,
// §2.3; our models are small enough to leave it out.)

import * as tf from '@tensorflow/tfjs-core';
import { groupedSwiGLU } from './experts.ts';
import type { ExpertWeights } from './experts.ts';

/** The dispatch and combine weights of one call, on the tape. */
export interface SoftMoeWeights {
  /** D: softmax over each group's tokens, [groups, m, n·p]. */
  dispatch: tf.Tensor3D;
  /** C: softmax over slots, [groups, m, n·p]. */
  combine: tf.Tensor3D;
}

/** D and C from x [groups, m, d] and Φ [n·p, d]. */
export function softMoeWeights(x: tf.Tensor3D, phi: tf.Tensor2D): SoftMoeWeights {
  const [groups, m, d] = x.shape;
  const slots = phi.shape[0];
  const logits = tf.reshape(tf.matMul(tf.reshape(x, [groups * m, d]), phi, false, true), [groups, m, slots]);
  const dispatch = tf.softmax(tf.transpose(logits, [0, 2, 1])); // softmax over tokens, as [groups, slots, m]
  return { dispatch: tf.transpose(dispatch, [0, 2, 1]) as tf.Tensor3D, combine: tf.softmax(logits) as tf.Tensor3D };
}

/**
 * The Soft MoE layer on x [groups, m, d], with N experts of p slots each (Φ has N·p rows).
 * @returns [groups, m, d]
 */
export function softMoe(x: tf.Tensor3D, phi: tf.Tensor2D, experts: ExpertWeights[]): tf.Tensor3D {
  return tf.tidy(() => {
    const [groups, , d] = x.shape;
    const n = experts.length;
    const p = phi.shape[0] / n;
    if (!Number.isInteger(p) || p < 1) {
      throw new RangeError(
        `Soft MoE needs the same number of slots for each of the ${n} experts; Φ has ${phi.shape[0]} rows.`,
      );
    }
    const { dispatch, combine } = softMoeWeights(x, phi);
    const slotInputs = tf.matMul(dispatch, x, true, false); // X̃ = Dᵀ X: [groups, n·p, d]
    // Group the slots by expert, all groups together, for one grouped matmul per projection.
    const byExpert = tf.reshape(tf.transpose(tf.reshape(slotInputs, [groups, n, p, d]), [1, 0, 2, 3]), [
      n * groups * p,
      d,
    ]);
    const out = groupedSwiGLU(byExpert as tf.Tensor2D, experts, new Array<number>(n).fill(groups * p));
    const slotOutputs = tf.reshape(tf.transpose(tf.reshape(out, [n, groups, p, d]), [1, 0, 2, 3]), [groups, n * p, d]);
    return tf.matMul(combine, slotOutputs) as tf.Tensor3D; // Y = C Ỹ: [groups, m, d]
  });
}
