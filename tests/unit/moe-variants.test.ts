// The MoE designs after Mixtral (shared and fine-grained experts, DeepSeek-V3's sigmoid gate, expert
// choice, Soft MoE): hand-computed cases, plain-JS references, the dense-masked baseline, finite
// differences, the causality leak of the two designs that need whole sequences, and tf.memory() flat.

import { expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { matVec, moeForward, randomMoEParams, softmax, swiglu } from '../../models/moe/gate.ts';
import type { SwiGLUExpert } from '../../models/moe/gate.ts';
import { initMoeParams, moeLayer } from '../../models/moe/moe-layer.ts';
import type { MoeConfig, MoeParams } from '../../models/moe/moe-layer.ts';
import { expertChoiceCapacity, expertChoiceGate } from '../../models/moe/expert-choice.ts';
import { expertCombinations, fineGrained, isolateShared } from '../../models/moe/fine-grained.ts';
import { splitExpertWeights } from '../../models/moe/split-experts.ts';
import { sigmoidTopKGate } from '../../models/moe/sigmoid-gate.ts';
import { sequenceBalanceLoss } from '../../models/moe/losses.ts';
import { moeParams } from '../../models/accounting/flops.ts';
import { describeBackends, maxAbsDiff, values } from './tf-backends.ts';

const m2 = (rows: readonly (readonly number[])[]): tf.Tensor2D => tf.tensor2d(rows.map((r) => [...r]));
const toExpert = (w: SwiGLUExpert): { w1: tf.Tensor2D; w2: tf.Tensor2D; w3: tf.Tensor2D } => ({
  w1: m2(w.w1),
  w2: m2(w.w2),
  w3: m2(w.w3),
});
const paramTensors = (p: MoeParams): tf.Tensor[] => [
  p.wGate,
  ...p.experts.flatMap((w) => [w.w1, w.w2, w.w3]),
  ...(p.shared ? [p.shared.w1, p.shared.w2, p.shared.w3] : []),
];

/** Deterministic pseudo-random numbers in [-1, 1). */
function randomArray(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

/** Finite-difference check of d(Σ out·c)/d(every param entry) on a config, for `entries` of each weight. */
function gradientCheck(config: MoeConfig, xShape: number[], seed: number): void {
  const params = initMoeParams(config, seed);
  const tensors = paramTensors(params);
  const init = tensors.map((t) => values(t).map((v) => v * 1.5));
  const shapes = tensors.map((t) => t.shape as [number, number]);
  const x = tf.tensor(
    randomArray(
      xShape.reduce((a, b) => a * b, 1),
      seed + 1,
    ),
    xShape,
  );
  const c = tf.tensor(randomArray(x.size, seed + 2), xShape);
  const rebuild = (ws: tf.Tensor2D[]): MoeParams => {
    const n = params.experts.length;
    return {
      wGate: ws[0]!,
      experts: Array.from({ length: n }, (_, e) => ({ w1: ws[1 + 3 * e]!, w2: ws[2 + 3 * e]!, w3: ws[3 + 3 * e]! })),
      ...(params.shared ? { shared: { w1: ws[1 + 3 * n]!, w2: ws[2 + 3 * n]!, w3: ws[3 + 3 * n]! } } : {}),
    };
  };
  const run = (ws: tf.Tensor2D[]): { loss: tf.Scalar; routing: string } => {
    const out = moeLayer(x, rebuild(ws), config, { stats: true });
    const loss = tf.sum(tf.mul(out.output, c)) as tf.Scalar;
    return {
      loss: out.auxLoss ? (tf.add(loss, out.auxLoss) as tf.Scalar) : loss,
      routing: config.gate === 'soft-moe' ? '' : Array.from(out.stats!.expertIndex).join(),
    };
  };
  const weights = init.map((v, i) => tf.tensor2d(v, shapes[i]));
  const base = tf.tidy(() => run(weights).routing);
  const grads = tf.tidy(() =>
    tf
      .grads((...ws: tf.Tensor[]) => run(ws as tf.Tensor2D[]).loss)(weights)
      .map(values),
  );
  const eps = 1e-2;
  const lossAt = (w: number, i: number, delta: number): number =>
    tf.tidy(() => {
      const bumped = init.map((v, j) => {
        const copy = [...v];
        if (j === w) copy[i]! += delta;
        return tf.tensor2d(copy, shapes[j]);
      });
      const { loss, routing } = run(bumped);
      expect(routing, 'a finite-difference step changed the routing').toBe(base);
      return loss.dataSync()[0]!;
    });
  for (let w = 0; w < init.length; w++) {
    const n = init[w]!.length;
    for (const i of [0, 5, 11, n - 1]) {
      const fd = (lossAt(w, i, eps) - lossAt(w, i, -eps)) / (2 * eps);
      expect(Math.abs(grads[w]![i]! - fd), `${config.gate} weight ${w}, entry ${i}`).toBeLessThan(
        3e-3 + 1e-2 * Math.abs(fd),
      );
    }
  }
  tf.dispose([x, c, ...weights, ...tensors]);
}

/** Output at positions 0 … T−2 after changing only the last token of each sequence: max |difference|. */
function leakFromLastToken(config: MoeConfig, seed: number): number {
  const params = initMoeParams(config, seed);
  const [b, t, d] = [2, 8, config.dModel];
  const xs = randomArray(b * t * d, seed + 5);
  const changed = xs.map((v, i) => (i % (t * d) >= (t - 1) * d ? v + 3 * Math.sin(i) : v));
  const before = tf.tidy(() => values(moeLayer(tf.tensor3d(xs, [b, t, d]), params, config).output));
  const after = tf.tidy(() => values(moeLayer(tf.tensor3d(changed, [b, t, d]), params, config).output));
  tf.dispose(paramTensors(params));
  let max = 0;
  for (let i = 0; i < before.length; i++) {
    if (i % (t * d) < (t - 1) * d) max = Math.max(max, Math.abs(before[i]! - after[i]!));
  }
  return max;
}

describeBackends('moe variants', () => {
  it('shared experts: output = routed top-K (plain-JS reference) + every shared expert, merged or not', () => {
    const ref = randomMoEParams({ numExperts: 4, dModel: 6, dHidden: 5, seed: 3 });
    const sharedRef = randomMoEParams({ numExperts: 2, dModel: 6, dHidden: 5, seed: 4 }).experts;
    // Two shared experts of width 5 stored as one SwiGLU of width 10, as DeepSeek stores shared_experts.
    const merged = {
      w1: m2([...sharedRef[0]!.w1, ...sharedRef[1]!.w1]),
      w3: m2([...sharedRef[0]!.w3, ...sharedRef[1]!.w3]),
      w2: m2(sharedRef[0]!.w2.map((row, i) => [...row, ...sharedRef[1]!.w2[i]!])),
    };
    const params: MoeParams = { wGate: m2(ref.routerWeight), experts: ref.experts.map(toExpert), shared: merged };
    const config: MoeConfig = { dModel: 6, dHidden: 5, numExperts: 4, topK: 2, sharedExperts: 2 };
    const xs = Array.from({ length: 7 }, (_, t) => randomArray(6, 40 + t));
    const got = tf.tidy(() => values(moeLayer(tf.tensor2d(xs), params, config).output));
    const want = xs.flatMap((x) => {
      const routed = moeForward(ref, x, 2).y;
      const s0 = swiglu(sharedRef[0]!, x);
      const s1 = swiglu(sharedRef[1]!, x);
      return routed.map((v, j) => v + s0[j]! + s1[j]!);
    });
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    tf.dispose(paramTensors(params));
  });

  it('every variant equals the dense-masked baseline where one applies', () => {
    const cases: MoeConfig[] = [
      { dModel: 16, dHidden: 24, numExperts: 7, topK: 1, sharedExperts: 1 },
      { dModel: 16, dHidden: 12, numExperts: 16, topK: 4 },
      { dModel: 16, dHidden: 24, numExperts: 8, topK: 2, gate: 'sigmoid', auxLossCoef: 0.01 },
      { dModel: 16, dHidden: 24, numExperts: 8, topK: 2, gate: 'expert-choice' },
      { dModel: 16, dHidden: 24, numExperts: 8, topK: 2, gate: 'expert-choice', sharedExperts: 1 },
    ];
    cases.forEach((config, i) => {
      const params = initMoeParams(config, 10 + i);
      const [sparse, masked] = tf.tidy(() => {
        const x = tf.randomNormal([3, 16, 16], 0, 1, 'float32', 20 + i);
        const a = moeLayer(x, params, config);
        const b = moeLayer(x, params, config, { dispatch: 'dense-masked-baseline' });
        return [values(a.output), values(b.output)];
      });
      expect(maxAbsDiff(sparse, masked), JSON.stringify(config)).toBeLessThan(1e-5);
      tf.dispose(paramTensors(params));
    });
  });

  it('fine-grained: a coarse layer cut into m pieces per expert computes exactly the same output', () => {
    const config: MoeConfig = { dModel: 8, dHidden: 12, numExperts: 4, topK: 2 };
    const coarse = initMoeParams(config, 7);
    const fine = splitExpertWeights(coarse.wGate, coarse.experts, 3);
    const fineConfig = fineGrained(config, 3);
    expect(fineConfig).toMatchObject({ numExperts: 12, topK: 6, dHidden: 4 });
    const [a, b] = tf.tidy(() => {
      const x = tf.randomNormal([20, 8], 0, 1, 'float32', 3);
      return [values(moeLayer(x, coarse, config).output), values(moeLayer(x, fine, fineConfig).output)];
    });
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
    tf.dispose([...paramTensors(coarse), ...paramTensors({ ...fine })]);
  });

  it('sigmoid gate: hand-computed affinities, weights normalised over the chosen, bias for the choice only', () => {
    // logits [0, ln 3] → s = [0.5, 0.75].
    const logits = tf.tensor2d([[0, Math.log(3)]]);
    const r2 = sigmoidTopKGate(logits, 2);
    expect(Array.from(r2.expertIndex)).toEqual([1, 0]);
    expect(maxAbsDiff(values(r2.gateWeights), [0.6, 0.4])).toBeLessThan(1e-6);
    const biased = sigmoidTopKGate(logits, 1, { selectionBias: [0.3, 0] }); // 0.8 > 0.75: expert 0 chosen
    expect(Array.from(biased.expertIndex)).toEqual([0]);
    expect(values(biased.gateWeights)[0]).toBeCloseTo(1, 6); // its own weight, normalised over the one chosen
    const raw = sigmoidTopKGate(logits, 1, { selectionBias: [0.3, 0], normTopK: false });
    expect(values(raw.gateWeights)[0]).toBeCloseTo(0.5, 6); // the unbiased affinity, not 0.8
    tf.dispose([logits, r2.gateWeights, r2.probs, biased.gateWeights, biased.probs, raw.gateWeights, raw.probs]);
  });

  it('sequence-wise balance loss: α when each sequence is balanced, more when it is not (DeepSeek-V3 eq. 17)', () => {
    const even = tf.tensor2d([
      [0.5, 0.75],
      [0.75, 0.5],
    ]);
    expect(sequenceBalanceLoss(even, Int32Array.from([1, 0]), 1, 2, 0.1).dataSync()[0]).toBeCloseTo(0.1, 6);
    const skewed = tf.tensor2d([
      [0.5, 0.75],
      [0.5, 0.75],
    ]);
    // f = [0, 2], P = [0.4, 0.6] → α · 1.2.
    expect(sequenceBalanceLoss(skewed, Int32Array.from([1, 1]), 1, 2, 0.1).dataSync()[0]).toBeCloseTo(0.12, 6);
    // Two one-token sequences are each perfectly lopsided: the mean of their losses, not the batch's balance.
    expect(sequenceBalanceLoss(even, Int32Array.from([1, 0]), 1, 1, 0.1).dataSync()[0]).toBeCloseTo(0.12, 6);
    expect(() => sequenceBalanceLoss(even, Int32Array.from([1, 0]), 1, 3)).toThrow(/must divide/);
    tf.dispose([even, skewed]);
  });

  it('expert choice: each expert takes its c best tokens; a token may get two experts or none', () => {
    // Softmax columns: expert 0 → [.982, .5, .018, .5], expert 1 → [.018, .5, .982, .5]; c = ⌈4·1/2⌉ = 2.
    const logits = tf.tensor2d([
      [2, -2],
      [1, 1],
      [-2, 2],
      [0.5, 0.5],
    ]);
    expect(expertChoiceCapacity(4, 1, 2)).toBe(2);
    const r = expertChoiceGate(logits, 4, 1);
    expect(Array.from(r.expertsPerToken)).toEqual([1, 2, 1, 0]); // token 1 wins the tie with token 3
    expect(Array.from(r.plan.expertTokens)).toEqual([2, 2]);
    expect(Array.from(r.plan.tokens)).toEqual([0, 1, 1, 2]); // grouped by expert, token order within
    tf.dispose([logits, r.probs]);
    // In the layer, the unrouted token gets zeros and is counted; with a shared expert it still gets that.
    const config: MoeConfig = { dModel: 2, dHidden: 3, numExperts: 2, topK: 1, gate: 'expert-choice' };
    const params = initMoeParams(config, 1);
    params.wGate.dispose();
    params.wGate = tf.tensor2d([
      [1, 0],
      [0, 1],
    ]);
    const out = tf.tidy(() => {
      const o = moeLayer(tf.tensor2d([2, -2, 1, 1, -2, 2, 0.5, 0.5], [4, 2]), params, config, { stats: true });
      return { y: values(o.output), unrouted: o.unroutedTokens, perToken: Array.from(o.stats!.expertsPerToken!) };
    });
    expect(out.unrouted).toBe(1);
    expect(out.perToken).toEqual([1, 2, 1, 0]);
    expect(out.y.slice(6)).toEqual([0, 0]);
    tf.dispose(paramTensors(params));
  });

  it('Soft MoE matches a plain-JS Algorithm 1, and with Φ = 0 every token gets the mean expert of the mean token', () => {
    const n = 3;
    const p = 2;
    const d = 4;
    const ref = randomMoEParams({ numExperts: n, dModel: d, dHidden: 5, seed: 9 });
    const phi = Array.from({ length: n * p }, (_, s) => randomArray(d, 60 + s));
    const xs = Array.from({ length: 5 }, (_, t) => randomArray(d, 80 + t));
    const softRef = (phiRows: number[][]): number[] => {
      const logits = xs.map((x) => matVec(phiRows, x)); // [m, n·p]
      const dispatch = phiRows.map((_, s) => softmax(logits.map((row) => row[s]!))); // per slot, over tokens
      const slots = dispatch.map((w) => xs[0]!.map((_, j) => xs.reduce((acc, x, t) => acc + w[t]! * x[j]!, 0)));
      const slotOut = slots.map((x, s) => swiglu(ref.experts[Math.floor(s / p)]!, x));
      return logits.flatMap((row) => {
        const c = softmax(row);
        return xs[0]!.map((_, j) => slotOut.reduce((acc, y, s) => acc + c[s]! * y[j]!, 0));
      });
    };
    const config: MoeConfig = { dModel: d, dHidden: 5, numExperts: n, topK: 1, gate: 'soft-moe', slotsPerExpert: p };
    const run = (phiRows: number[][]): number[] =>
      tf.tidy(() => {
        const params: MoeParams = { wGate: m2(phiRows), experts: ref.experts.map(toExpert) };
        return values(moeLayer(tf.tensor3d(xs.flat(), [1, 5, d]), params, config).output);
      });
    expect(maxAbsDiff(run(phi), softRef(phi))).toBeLessThan(1e-5);
    const zero = phi.map((row) => row.map(() => 0));
    const meanX = xs[0]!.map((_, j) => xs.reduce((a, x) => a + x[j]!, 0) / xs.length);
    const outs = ref.experts.map((e) => swiglu(e, meanX));
    const meanExpert = meanX.map((_, j) => outs.reduce((a, y) => a + y[j]!, 0) / n);
    expect(
      maxAbsDiff(
        run(zero),
        xs.flatMap(() => meanExpert),
      ),
    ).toBeLessThan(1e-5);
  });

  it('gradients match finite differences for shared, sigmoid (with its balance loss), expert choice and Soft MoE', () => {
    gradientCheck({ dModel: 6, dHidden: 4, numExperts: 3, topK: 1, sharedExperts: 1, auxLossCoef: 0.1 }, [8, 6], 1);
    gradientCheck({ dModel: 6, dHidden: 4, numExperts: 4, topK: 2, gate: 'sigmoid', auxLossCoef: 0.1 }, [2, 4, 6], 2);
    gradientCheck(
      { dModel: 6, dHidden: 4, numExperts: 4, topK: 2, gate: 'expert-choice', zLossCoef: 0.01 },
      [2, 4, 6],
      3,
    );
    gradientCheck({ dModel: 6, dHidden: 4, numExperts: 3, topK: 1, gate: 'soft-moe', slotsPerExpert: 2 }, [2, 4, 6], 4);
  });

  it('expert choice and Soft MoE let a later token change earlier outputs; token choice does not', () => {
    const base = { dModel: 8, dHidden: 8, numExperts: 4, topK: 2 };
    expect(leakFromLastToken({ ...base }, 1)).toBe(0);
    expect(leakFromLastToken({ ...base, gate: 'sigmoid', sharedExperts: 1 }, 1)).toBe(0);
    expect(leakFromLastToken({ ...base, gate: 'soft-moe', slotsPerExpert: 2 }, 1)).toBeGreaterThan(1e-3);
    // Expert choice leaks through which tokens each expert keeps; find a seed where the change displaces one.
    const leaks = [1, 2, 3, 4, 5].map((seed) => leakFromLastToken({ ...base, gate: 'expert-choice' }, seed));
    expect(Math.max(...leaks)).toBeGreaterThan(1e-3);
  });

  it('leaves tf.memory() unchanged over forward+backward passes of every variant', () => {
    const configs: MoeConfig[] = [
      { dModel: 8, dHidden: 8, numExperts: 3, topK: 1, sharedExperts: 1, auxLossCoef: 0.01 },
      { dModel: 8, dHidden: 8, numExperts: 4, topK: 2, gate: 'sigmoid', auxLossCoef: 0.01 },
      { dModel: 8, dHidden: 8, numExperts: 4, topK: 2, gate: 'expert-choice', zLossCoef: 0.001 },
      { dModel: 8, dHidden: 8, numExperts: 4, topK: 1, gate: 'soft-moe', slotsPerExpert: 2 },
    ];
    for (const config of configs) {
      const params = initMoeParams(config, 2);
      const vars = paramTensors(params) as tf.Variable[];
      const x = tf.randomNormal([2, 8, 8], 0, 1, 'float32', 1);
      const step = (): void => {
        const { value, grads } = tf.variableGrads(() => {
          const out = moeLayer(x, params, config, { stats: true, zLossReadout: true });
          const loss = tf.mean(tf.square(out.output)) as tf.Scalar;
          out.zLoss?.dispose();
          return out.auxLoss ? (tf.add(loss, out.auxLoss) as tf.Scalar) : loss;
        }, vars);
        tf.dispose([value, ...Object.values(grads)]);
      };
      step();
      const before = tf.memory();
      for (let i = 0; i < 20; i++) step();
      expect(tf.memory().numTensors, config.gate ?? 'shared').toBe(before.numTensors);
      expect(tf.memory().numBytes).toBe(before.numBytes);
      tf.dispose([x, ...vars]);
    }
  });
});

it('fine-grained and shared-expert isolation keep expert parameters, total and active (DeepSeekMoE §3.1–3.2)', () => {
  const coarse = { dModel: 64, dHidden: 128, numExperts: 8, topK: 2 };
  const fine = fineGrained(coarse, 4);
  const isolated = isolateShared(fine, 1);
  expect(isolated).toEqual({ dModel: 64, dHidden: 32, numExperts: 31, topK: 7, sharedExperts: 1 });
  const expertCount = (c: { numExperts: number; topK: number; dHidden: number; sharedExperts?: number }) => {
    const per = 3 * 64 * c.dHidden;
    return { total: (c.numExperts + (c.sharedExperts ?? 0)) * per, active: (c.topK + (c.sharedExperts ?? 0)) * per };
  };
  expect(expertCount(fine)).toEqual(expertCount(coarse));
  expect(expertCount(isolated)).toEqual(expertCount(coarse));
  // Only the router grows: one row per expert.
  expect(moeParams(fine).total - moeParams(coarse).total).toBe((32 - 8) * 64);
  expect(expertCombinations(16, 2)).toBe(120);
  expect(expertCombinations(64, 8)).toBe(4_426_165_368); // DeepSeekMoE §3.1's own example
  expect(() => fineGrained(coarse, 3)).toThrow(/must divide by m = 3/);
  expect(() => isolateShared(coarse, 2)).toThrow(/use S < K/);
});

it('rejects impossible variant settings with sentences', () => {
  const base = { dModel: 4, dHidden: 4, numExperts: 4, topK: 2 };
  const params = (c: MoeConfig) => () => initMoeParams(c);
  expect(params({ ...base, sharedExperts: -1 })).toThrow(/shared experts must be a whole number/);
  expect(params({ ...base, gate: 'expert-choice', expertChoiceCapacity: 5 })).toThrow(/at most N = 4/);
  expect(params({ ...base, gate: 'soft-moe', slotsPerExpert: 0 })).toThrow(/whole number of slots/);
});
