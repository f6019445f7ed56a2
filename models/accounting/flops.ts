// Parameter and FLOP counters for an MoE layer: one source of truth for every "active vs total" figure.
// A multiply-add counts as 2 FLOPs; the backward pass costs about twice the forward.

import { checkK } from '../moe/check-k.ts';
import { headDim, type MixtralConfig } from '../nn/config.ts';
import { countParameters } from './params.ts';

/** The sizes that set an MoE layer's cost. */
export interface MoeSize {
  dModel: number;
  dHidden: number;
  numExperts: number;
  topK: number;
}

/** Parameter counts: every expert plus the router, versus what one token actually uses. */
export interface ParamCount {
  total: number;
  active: number;
}

/** Weights in one SwiGLU expert: w1, w3 [dHidden, dModel] and w2 [dModel, dHidden]. */
export function expertParams(dModel: number, dHidden: number): number {
  return 3 * dModel * dHidden;
}

/** total = N·3·d·h + N·d (router); active = K·3·d·h + N·d — the router always runs in full. */
export function moeParams(size: MoeSize): ParamCount {
  const router = size.numExperts * size.dModel;
  const expert = expertParams(size.dModel, size.dHidden);
  return { total: size.numExperts * expert + router, active: size.topK * expert + router };
}

/** Forward FLOPs for `rows` expert rows (tokens·K when dropless) plus the router over `tokens` tokens. */
export function moeForwardFlops(size: MoeSize, tokens: number, rows = tokens * size.topK): number {
  return 2 * tokens * size.dModel * size.numExperts + 2 * rows * expertParams(size.dModel, size.dHidden);
}

/** Forward FLOPs of one token of a whole model, split the way lesson 4 explains them. */
export interface TokenFlops {
  /** 2 × the parameters the token multiplies by (embedding lookup left out; only K experts per layer). */
  weights: number;
  /**
   * 2 × layers × context × attention width: Kaplan et al.'s one attention row (Table 1). Counted directly, the
   * scores q·kᵀ and their weighted sum cost that much each, so this is a lower bound.
   */
  attention: number;
  total: number;
}

/**
 * Forward FLOPs per token ≈ 2 × (non-embedding parameters used) + 2 × layers × context × attention width
 * (Kaplan et al. 2020, "Scaling Laws for Neural Language Models", §2.1 and Table 1). For an MoE only the K
 * chosen experts count; `topK` overrides the config's K (an inference-time choice).
 */
export function flopsPerToken(config: MixtralConfig, context: number, topK = config.num_experts_per_tok): TokenFlops {
  checkK(topK, config.num_local_experts);
  if (!Number.isInteger(context) || context < 1) {
    throw new RangeError(`The context must be a whole number of tokens ≥ 1; got ${context}.`);
  }
  const used = countParameters({ ...config, num_experts_per_tok: topK }).activeWithoutEmbedding;
  const attentionWidth = config.num_attention_heads * headDim(config);
  const weights = 2 * used;
  const attention = 2 * config.num_hidden_layers * context * attentionWidth;
  return { weights, attention, total: weights + attention };
}
