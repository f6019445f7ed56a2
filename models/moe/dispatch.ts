// Sparse dispatch: send each token only to the experts the router chose, and add the results back.
//
// The bookkeeping (which rows go where) is plain JavaScript on the routing decisions, because tfjs has
// no gradient-safe way to build index lists on the device. The tensor work is then:
//   gather the chosen rows → run each expert on its own contiguous block → weight → segment-sum back.
// Cost grows with the number of routed rows (tokens · K), not with the number of experts N.

import * as tf from '@tensorflow/tfjs-core';
import { groupedSwiGLU, swiGLU } from './experts.ts';
import type { ExpertWeights } from './experts.ts';

/** Which (token, slot) pairs each expert receives. A slot is one of a token's K choices, id t·k + j. */
export interface DispatchPlan {
  numTokens: number;
  numExperts: number;
  k: number;
  /** Rows an expert may take, or null when dropless. */
  capacity: number | null;
  /** Kept slot ids, grouped by expert (expert 0's first), in token order within each: [kept]. */
  slots: Int32Array;
  /** The token of each kept slot, same order: [kept]. */
  tokens: Int32Array;
  /** Rows each expert receives: [numExperts]. Sums to `slots.length`. */
  expertTokens: Int32Array;
  /** Slot ids that overflowed their expert's capacity and were dropped: [dropped]. */
  droppedSlots: Int32Array;
}

/** Expert capacity C = ⌈capacityFactor · tokens · k / numExperts⌉ — GShard, Lepikhin et al. 2021, §2.2. */
export function expertCapacity(capacityFactor: number, numTokens: number, k: number, numExperts: number): number {
  if (!(capacityFactor > 0)) throw new Error(`The capacity factor must be positive; got ${capacityFactor}.`);
  return Math.ceil((capacityFactor * numTokens * k) / numExperts);
}

/**
 * Groups routed slots by expert. With a capacity, first choices are served before second choices and
 * earlier tokens before later ones, and whatever does not fit is dropped (GShard Alg. 1; Switch §2.2).
 * @param expertIndex the router's choices, row-major [numTokens, k]
 */
export function planDispatch(
  expertIndex: Int32Array,
  numExperts: number,
  k: number,
  capacity: number | null = null,
): DispatchPlan {
  const numTokens = expertIndex.length / k;
  const kept = new Uint8Array(expertIndex.length);
  const expertTokens = new Int32Array(numExperts);
  const dropped: number[] = [];
  for (let j = 0; j < k; j++) {
    for (let t = 0; t < numTokens; t++) {
      const slot = t * k + j;
      const e = expertIndex[slot]!;
      if (e < 0 || e >= numExperts) throw new Error(`Token ${t} was routed to expert ${e}; there are ${numExperts}.`);
      if (capacity !== null && expertTokens[e]! >= capacity) {
        dropped.push(slot);
        continue;
      }
      kept[slot] = 1;
      expertTokens[e]!++;
    }
  }
  // Counting sort by expert; iterating slots in order keeps each expert's rows in token order.
  const start = new Int32Array(numExperts);
  for (let e = 1; e < numExperts; e++) start[e] = start[e - 1]! + expertTokens[e - 1]!;
  const slots = new Int32Array(expertIndex.length - dropped.length);
  const tokens = new Int32Array(slots.length);
  for (let slot = 0; slot < expertIndex.length; slot++) {
    if (kept[slot] === 0) continue;
    const row = start[expertIndex[slot]!]!++;
    slots[row] = slot;
    tokens[row] = Math.floor(slot / k);
  }
  return { numTokens, numExperts, k, capacity, slots, tokens, expertTokens, droppedSlots: Int32Array.from(dropped) };
}

/**
 * y[t] = Σⱼ g[t, j] · expert_{e(t, j)}(x[t]) over the kept slots only — the sparse MoE layer's combine.
 * @param x [numTokens, dModel]
 * @param gateWeights [numTokens, k]
 * @returns [numTokens, dModel]; a token whose every slot was dropped gets zeros.
 */
export function sparseMoe(
  x: tf.Tensor2D,
  gateWeights: tf.Tensor2D,
  plan: DispatchPlan,
  experts: ExpertWeights[],
): tf.Tensor2D {
  return tf.tidy(() => {
    const { numTokens, k } = plan;
    if (plan.slots.length === 0) return tf.zerosLike(x);
    const tokens = tf.tensor1d(plan.tokens, 'int32');
    const rows = gatherRows(x, tokens); // [kept, dModel], grouped by expert
    const weights = tf.gather(tf.reshape(gateWeights, [numTokens * k]), tf.tensor1d(plan.slots, 'int32')); // [kept]
    const y = groupedSwiGLU(rows, experts, Array.from(plan.expertTokens)); // [kept, dModel]
    const weighted = tf.mul(y, tf.expandDims(weights, 1));
    return scatterAddRows(weighted as tf.Tensor2D, tokens, numTokens);
  });
}

/** out[i] = x[index[i]]: a row gather whose gradient is one segment sum (tf.gather's adds two transposes). */
function gatherRows(x: tf.Tensor2D, index: tf.Tensor1D): tf.Tensor2D {
  const numRows = x.shape[0];
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xs, ids, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    save([ids]); // a customGrad must not close over tensors: they are gone by the backward pass
    return {
      value: tf.gather(xs, ids),
      gradFunc: (dy: tf.Tensor, [savedIds]: tf.Tensor[]) => [
        tf.unsortedSegmentSum(dy, savedIds as tf.Tensor1D, numRows),
        tf.zerosLike(savedIds!),
      ],
    };
  });
  return op(x, index) as tf.Tensor2D;
}

/** out[index[i]] += y[i] into `numRows` rows: a segment sum whose gradient is a plain gather.
 * tf.unsortedSegmentSum's own gradient also masks negative ids, with a broadcast logicalAnd that costs
 * more than the rest of the backward pass on wasm; our ids are never negative. */
function scatterAddRows(y: tf.Tensor2D, index: tf.Tensor1D, numRows: number): tf.Tensor2D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [ys, ids, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    save([ids]);
    return {
      value: tf.unsortedSegmentSum(ys, ids, numRows),
      gradFunc: (dy: tf.Tensor, [savedIds]: tf.Tensor[]) => [tf.gather(dy, savedIds!), tf.zerosLike(savedIds!)],
    };
  });
  return op(y, index) as tf.Tensor2D;
}

/**
 * BENCHMARK BASELINE ONLY — runs every expert on every token and zeroes what the router did not choose.
 * Same result as `sparseMoe` (same plan, same drops), at N/K times the expert FLOPs.
 * @returns [numTokens, dModel]
 */
export function denseMaskedMoeBaseline(
  x: tf.Tensor2D,
  gateWeights: tf.Tensor2D,
  plan: DispatchPlan,
  experts: ExpertWeights[],
): tf.Tensor2D {
  return tf.tidy(() => {
    const { numTokens, numExperts, k } = plan;
    // mask[t, j, e] = 1 when slot (t, j) is kept and routed to expert e.
    const mask = new Float32Array(numTokens * k * numExperts);
    let row = 0;
    plan.expertTokens.forEach((count, e) => {
      for (const end = row + count; row < end; row++) mask[plan.slots[row]! * numExperts + e] = 1;
    });
    const maskT = tf.tensor3d(mask, [numTokens, k, numExperts]);
    const combine = tf.sum(tf.mul(tf.expandDims(gateWeights, 2), maskT), 1); // [numTokens, numExperts]
    const outs = experts.map((w, e) => tf.mul(swiGLU(x, w), tf.slice(combine, [0, e], [numTokens, 1])) as tf.Tensor2D);
    return outs.length === 1 ? outs[0]! : tf.addN(outs);
  });
}
