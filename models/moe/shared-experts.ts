// Shared experts: S experts that every token goes through, beside the K it is routed to.
//
//   h_t = u_t + Σ_{i=1..S} FFN_i(u_t) + Σ_{i=S+1..mN} g_{i,t} FFN_i(u_t)     DeepSeekMoE, Dai et al. 2024, eq. 9 (§3.2)
//
// The problem they answer: with routed experts only, knowledge every token needs (common words, syntax)
// is learnt again inside many experts; a shared expert holds it once, so the routed ones can specialise.
// S shared SwiGLU experts of width h add up to one SwiGLU of width S·h (the hidden units just sit side by
// side), which is how DeepSeek-V2/V3 store them: one MLP `mlp.shared_experts.{gate,up,down}_proj` of width
// moe_intermediate_size · n_shared_experts (transformers' modeling_deepseek_v3.py). We do the same.

import type * as tf from '@tensorflow/tfjs-core';
import { linearWeight, swiGLU } from './experts.ts';
import type { ExpertWeights } from './experts.ts';

/** Hidden width of the merged shared MLP: S · h. */
export function sharedHidden(sharedExperts: number, dHidden: number): number {
  return sharedExperts * dHidden;
}

/** Fresh weights of S shared experts of width h each, merged: w1, w3 [S·h, d], w2 [d, S·h]. */
export function initSharedExperts(sharedExperts: number, dModel: number, dHidden: number, seed: number): ExpertWeights {
  const width = sharedHidden(sharedExperts, dHidden);
  return {
    w1: linearWeight(width, dModel, seed),
    w2: linearWeight(dModel, width, seed + 1),
    w3: linearWeight(width, dModel, seed + 2),
  };
}

/** Σ over the S shared experts of FFN_i(x), every token, gate weight 1: [tokens, dModel]. */
export function sharedExpertsOutput(x: tf.Tensor2D, shared: ExpertWeights): tf.Tensor2D {
  return swiGLU(x, shared);
}
