// Expert-choice routing: instead of each token picking its top-K experts, each expert picks its top-c
// tokens — Zhou et al. 2022, "Mixture-of-Experts with Expert Choice Routing", §3.1:
//
//   S = softmax(X · W_gᵀ)            token-to-expert scores [n tokens, e experts]
//   G, I = TopK(Sᵀ, c)               per expert, the c best tokens and their scores
//   c = n · capacityFactor / e       capacity: every expert takes exactly c tokens (the paper uses factor 2)
//   y_t = Σ over experts e that chose t of S[t, e] · FFN_e(x_t)
//
// It answers load imbalance and token dropping by construction: every expert does the same work, and a
// token can get many experts (hard tokens) or none (its residual stream just passes the layer by).
// The cost is causality: which tokens an expert takes depends on every token of the group, later ones
// included, so in a decoder a token's output depends on tokens it must not see, and one token at a time
// (c = 1 of a group of 1) every expert takes it. That is why it is trained on whole sequences at once and
// used in encoders; our tests measure the leak.

import * as tf from '@tensorflow/tfjs-core';
import type { DispatchPlan } from './dispatch.ts';
import { readScores } from './router.ts';
import { expertChoiceCapacity } from './expert-choice-capacity.ts';

export { expertChoiceCapacity };

/** Who went where under expert choice. Slot id t·N + e means "token t at expert e". */
export interface ExpertChoiceRouting {
  /** A dispatch plan over N slots per token, only the chosen kept: `sparseMoe` runs it as it is. */
  plan: DispatchPlan;
  /** S = softmax of the logits, on the tape: [tokens, N]; also the gate weight of every slot. */
  probs: tf.Tensor2D;
  /** S read back: [tokens · N]. */
  probsData: Float32Array;
  /** How many experts chose each token: [tokens] (0 … N). */
  expertsPerToken: Int32Array;
  /** 1 where expert e chose token t: [tokens, N]. */
  chosen: Uint8Array;
}

/**
 * Each expert takes its c highest-scoring tokens within each group of `groupSize` consecutive tokens
 * (one sequence); ties go to the earlier token.
 * @param logits [tokens, numExperts], tokens a multiple of groupSize
 */
export function expertChoiceGate(
  logits: tf.Tensor2D,
  groupSize: number,
  capacityFactor: number,
  probsData?: Float32Array,
): ExpertChoiceRouting {
  const [tokens, numExperts] = logits.shape;
  if (!Number.isInteger(groupSize) || groupSize < 1 || tokens % groupSize !== 0) {
    throw new RangeError(`Expert choice needs groups that divide the ${tokens} tokens; got a group of ${groupSize}.`);
  }
  const probs = tf.softmax(logits);
  const scores = probsData ?? readScores(probs);
  const c = expertChoiceCapacity(groupSize, capacityFactor, numExperts);
  const groups = tokens / groupSize;
  const chosen = new Uint8Array(tokens * numExperts); // [tokens, N]
  const order = new Int32Array(groupSize);
  for (let g = 0; g < groups; g++) {
    const first = g * groupSize;
    for (let e = 0; e < numExperts; e++) {
      order.forEach((_, i) => (order[i] = first + i));
      const score = (t: number): number => scores[t * numExperts + e]!;
      // Stable: equal scores keep token order, so the earlier token wins a tie.
      const best = Array.from(order).sort((a, b) => score(b) - score(a) || a - b);
      for (let i = 0; i < c; i++) chosen[best[i]! * numExperts + e] = 1;
    }
  }
  const expertTokens = new Int32Array(numExperts).fill(c * groups);
  const expertsPerToken = new Int32Array(tokens);
  const slots = new Int32Array(c * groups * numExperts);
  const slotTokens = new Int32Array(slots.length);
  let row = 0;
  for (let e = 0; e < numExperts; e++) {
    for (let t = 0; t < tokens; t++) {
      if (chosen[t * numExperts + e] === 0) continue;
      slots[row] = t * numExperts + e;
      slotTokens[row++] = t;
      expertsPerToken[t]!++;
    }
  }
  const plan: DispatchPlan = {
    numTokens: tokens,
    numExperts,
    k: numExperts,
    capacity: c,
    slots,
    tokens: slotTokens,
    expertTokens,
    droppedSlots: new Int32Array(0),
  };
  return { plan, probs, probsData: scores, expertsPerToken, chosen };
}

/**
 * Per token, the experts that chose it, best score first, padded with −1 to N: row-major [tokens, N].
 * The routing statistics' form of a variable number of experts per token.
 */
export function expertsOfTokens(routing: ExpertChoiceRouting): { expertIndex: Int32Array; gateWeights: Float32Array } {
  const { numTokens: tokens, numExperts: n } = routing.plan;
  const expertIndex = new Int32Array(tokens * n).fill(-1);
  const gateWeights = new Float32Array(tokens * n);
  for (let t = 0; t < tokens; t++) {
    const mine: number[] = [];
    for (let e = 0; e < n; e++) if (routing.chosen[t * n + e] === 1) mine.push(e);
    mine.sort((a, b) => routing.probsData[t * n + b]! - routing.probsData[t * n + a]! || a - b);
    mine.forEach((e, j) => {
      expertIndex[t * n + j] = e;
      gateWeights[t * n + j] = routing.probsData[t * n + e]!;
    });
  }
  return { expertIndex, gateWeights };
}
