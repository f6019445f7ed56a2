// Parameter and FLOP counters for an MoE layer: one source of truth for every "active vs total" figure.
// A multiply-add counts as 2 FLOPs; the backward pass costs about twice the forward.

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
