/**
 * The Mixture-of-Experts equation on plain arrays, one token at a time.
 *
 *   y = Σᵢ G(x)ᵢ · Eᵢ(x)                                   (Shazeer et al. 2017, §2)
 *   G(x) = Softmax(TopK(x · W_g, K)),  Eᵢ = SwiGLUᵢ          (Jiang et al. 2024, Mixtral, §2.1)
 *
 * This is the reference the lesson-1 widget draws and the tfjs layer is tested against. It has no
 * tfjs on purpose: a reader can step through it in a debugger and check every number by hand.
 */

import { seededRandom } from '../random.ts';
import { checkK } from './check-k.ts';

export type Vector = readonly number[];
/** Row-major matrix: `matrix[row][column]`. */
export type Matrix = readonly Vector[];

/** One SwiGLU expert in the Hugging Face Mixtral layout: w1 (gate) [h, d], w3 (up) [h, d], w2 (down) [d, h]. */
export interface SwiGLUExpert {
  readonly w1: Matrix;
  readonly w3: Matrix;
  readonly w2: Matrix;
}

/** Router weights W_g as [numExperts, dModel] (nn.Linear's weight layout), plus the experts. */
export interface MoEParams {
  readonly routerWeight: Matrix;
  readonly experts: readonly SwiGLUExpert[];
}

/** Every intermediate of one token's trip through an MoE layer, for display and for tests. */
export interface GateTrace {
  /** x · W_gᵀ, one logit per expert. */
  readonly logits: Vector;
  /** Softmax over all N logits: the dense gate. */
  readonly probs: Vector;
  /** Indices of the K selected experts, highest logit first. */
  readonly selected: readonly number[];
  /** G(x): the renormalised weights, zero for every expert that was not selected. Sums to 1. */
  readonly weights: Vector;
}

export interface MoETrace extends GateTrace {
  /** Eᵢ(x) for the selected experts only; the others are never computed (that is the point). */
  readonly expertOutputs: ReadonlyMap<number, Vector>;
  /** y = Σᵢ G(x)ᵢ · Eᵢ(x). */
  readonly y: Vector;
}

function assertFinite(values: Vector, name: string): void {
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad !== -1) throw new RangeError(`${name}[${bad}] must be a finite number; got ${values[bad]}.`);
}

export function dot(a: Vector, b: Vector): number {
  if (a.length !== b.length) throw new RangeError(`Cannot take a dot product of lengths ${a.length} and ${b.length}.`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** matrix · v, for matrix [rows, v.length]. */
export function matVec(matrix: Matrix, v: Vector): number[] {
  return matrix.map((row) => dot(row, v));
}

/** Softmax, shifted by the maximum so that large logits do not overflow. */
export function softmax(logits: Vector): number[] {
  assertFinite(logits, 'logits');
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

/** Indices of the k largest values, largest first; ties go to the lower index (as torch.topk does in practice). */
export function topK(values: Vector, k: number): number[] {
  checkK(k, values.length);
  return values
    .map((value, index) => ({ value, index }))
    .sort((a, b) => b.value - a.value || a.index - b.index)
    .slice(0, k)
    .map(({ index }) => index);
}

/**
 * Mixtral's gate: softmax over all logits, keep the top K, renormalise so the kept weights sum to 1.
 * Equal to a softmax over the K selected logits alone, since the shared denominator cancels.
 */
export function mixtralGate(logits: Vector, k: number): GateTrace {
  const probs = softmax(logits);
  const selected = topK(logits, k);
  const keptMass = selected.reduce((sum, i) => sum + probs[i]!, 0);
  const weights = probs.map((_, i) => (selected.includes(i) ? probs[i]! / keptMass : 0));
  return { logits: [...logits], probs, selected, weights };
}

/** SiLU(z) = z · σ(z), the "Swish" of SwiGLU. */
export function silu(z: number): number {
  return z / (1 + Math.exp(-z));
}

/** SwiGLU(x) = w2 · (SiLU(w1 · x) ⊙ (w3 · x)). */
export function swiglu(expert: SwiGLUExpert, x: Vector): number[] {
  const gate = matVec(expert.w1, x);
  const up = matVec(expert.w3, x);
  const hidden = gate.map((g, i) => silu(g) * up[i]!);
  return matVec(expert.w2, hidden);
}

/** One token through a top-K MoE layer, computing only the K selected experts. */
export function moeForward(params: MoEParams, x: Vector, k: number): MoETrace {
  const numExperts = params.experts.length;
  checkK(k, numExperts);
  if (params.routerWeight.length !== numExperts) {
    throw new RangeError(`The router has ${params.routerWeight.length} rows but there are ${numExperts} experts.`);
  }
  assertFinite(x, 'x');
  const gate = mixtralGate(matVec(params.routerWeight, x), k);
  const expertOutputs = new Map<number, Vector>();
  for (const i of gate.selected) expertOutputs.set(i, swiglu(params.experts[i]!, x));
  const y = x.map(() => 0);
  for (const [i, out] of expertOutputs) out.forEach((v, j) => (y[j]! += gate.weights[i]! * v));
  return { ...gate, expertOutputs, y };
}

/**
 * A small random MoE layer for illustration: weights uniform in ±scale/√fanIn (scale 1 is nn.Linear's default).
 * Widgets make the largest layer once and take `firstExperts(params, n)`, so growing N adds experts
 * without reshuffling the ones the reader has already seen.
 */
export function randomMoEParams(opts: {
  numExperts: number;
  dModel: number;
  dHidden: number;
  seed: number;
  /** Multiplies every weight; > 1 gives a toy layer sharper routing and outputs big enough to read. */
  scale?: number;
}): MoEParams {
  const { numExperts, dModel, dHidden, seed, scale = 1 } = opts;
  checkK(1, numExperts);
  const random = seededRandom(seed);
  const matrix = (rows: number, cols: number): number[][] => {
    const bound = scale / Math.sqrt(cols);
    return Array.from({ length: rows }, () => Array.from({ length: cols }, () => (2 * random() - 1) * bound));
  };
  const routerWeight = matrix(numExperts, dModel);
  const experts = Array.from({ length: numExperts }, () => ({
    w1: matrix(dHidden, dModel),
    w3: matrix(dHidden, dModel),
    w2: matrix(dModel, dHidden),
  }));
  return { routerWeight, experts };
}

/** The first n experts (and their router rows) of a larger layer. */
export function firstExperts(params: MoEParams, n: number): MoEParams {
  checkK(n, params.experts.length);
  return { routerWeight: params.routerWeight.slice(0, n), experts: params.experts.slice(0, n) };
}
