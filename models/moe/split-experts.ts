// Fine-grained experts can compute whatever coarse ones can: a coarse layer's weights, cut into the
// fine-grained layer of DeepSeekMoE §3.1 (models/moe/fine-grained.ts has the sizes) with the same output.

import * as tf from '@tensorflow/tfjs-core';
import type { ExpertWeights } from './experts.ts';
import { fineGrained } from './fine-grained.ts';

/**
 * A coarse layer's weights cut into the fine-grained layer that computes the same function: expert e's
 * hidden units split into m consecutive blocks (w1, w3 by rows, w2 by columns) and its router row repeated
 * m times. The m pieces then share expert e's logit, so softmax gives each p_e/m, top-mK takes all m pieces
 * of the top-K experts, and after renormalising each piece carries 1/m of e's weight — which the piece's
 * down projection, multiplied by m, makes up. The pieces' outputs then add up to e's output, because SwiGLU
 * acts on each hidden unit separately. Fine-grained experts can therefore do
 * everything coarse ones can, at the same active and total expert parameters, and more (DeepSeekMoE §3.1).
 */
export function splitExpertWeights(
  wGate: tf.Tensor2D,
  experts: readonly ExpertWeights[],
  m: number,
): { wGate: tf.Tensor2D; experts: ExpertWeights[] } {
  const h = experts[0]?.w1.shape[0] ?? 0;
  fineGrained({ numExperts: experts.length, topK: 1, dHidden: h }, m); // checks m divides h
  const piece = h / m;
  return tf.tidy(() => ({
    wGate: tf.concat(
      experts.map((_, e) => tf.tile(tf.slice(wGate, [e, 0], [1, -1]), [m, 1])),
      0,
    ) as tf.Tensor2D,
    experts: experts.flatMap((w) =>
      Array.from({ length: m }, (_, i) => ({
        w1: tf.slice(w.w1, [i * piece, 0], [piece, -1]),
        w2: tf.mul(tf.slice(w.w2, [0, i * piece], [-1, piece]), m) as tf.Tensor2D,
        w3: tf.slice(w.w3, [i * piece, 0], [piece, -1]),
      })),
    ),
  }));
}
