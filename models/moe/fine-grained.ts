// Fine-grained expert segmentation and shared-expert isolation, as sizes: DeepSeekMoE, Dai et al. 2024.
//
// §3.1: split each of N experts (width h) into m experts of width h/m, and route each token to mK of the
// mN instead of K of N. Expert parameters stay N·3dh in total and K·3dh active, but the number of ways to
// pick the active set grows from C(N, K) to C(mN, mK) — e.g. C(16, 2) = 120 → C(64, 8) = 4,426,165,368 for
// m = 4 (the paper's own example) — so each expert can cover a narrower piece of knowledge.
// §3.2: then make S of the mN experts shared (always used): mN − S routed, mK − S chosen; totals unchanged.
// Only the router changes size (one row per expert), which is the small price the counts below show.

import * as tf from '@tensorflow/tfjs-core';
import { checkK } from './check-k.ts';
import type { ExpertWeights } from './experts.ts';

/** The sizes these transforms change; any MoE config with these fields. */
export interface ExpertLayout {
  numExperts: number;
  topK: number;
  dHidden: number;
  sharedExperts?: number;
}

/** N → mN, K → mK, h → h/m (DeepSeekMoE §3.1). Throws unless m divides h. */
export function fineGrained<C extends ExpertLayout>(config: C, m: number): C {
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`The split m must be a whole number ≥ 1; got ${m}.`);
  if (config.dHidden % m !== 0) {
    throw new RangeError(
      `Each expert's width (${config.dHidden}) must divide by m = ${m} to split it into ${m} equal experts.`,
    );
  }
  return { ...config, numExperts: config.numExperts * m, topK: config.topK * m, dHidden: config.dHidden / m };
}

/** Make S of the routed experts shared: N → N − S routed, K → K − S chosen, S shared (DeepSeekMoE §3.2). */
export function isolateShared<C extends ExpertLayout>(config: C, s: number): C {
  if (!Number.isInteger(s) || s < 0) throw new RangeError(`The shared experts S must be a whole number ≥ 0; got ${s}.`);
  if (s >= config.topK) {
    throw new RangeError(
      `Isolating ${s} shared experts out of K = ${config.topK} would leave no routed choice; use S < K.`,
    );
  }
  checkK(config.topK - s, config.numExperts - s);
  return {
    ...config,
    numExperts: config.numExperts - s,
    topK: config.topK - s,
    sharedExperts: (config.sharedExperts ?? 0) + s,
  };
}

/** C(n, k): the number of different sets of k experts a token can be routed to, as a float. */
export function expertCombinations(n: number, k: number): number {
  checkK(k, n);
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}

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
