// The sparse MoE layer against an independent plain-JS reference (models/moe/gate.ts), against the
// dense-masked baseline, against finite differences, and for leaks, drops, statistics and errors.

import { expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { moeForward, randomMoEParams } from '../../models/moe/gate.ts';
import type { MoEParams } from '../../models/moe/gate.ts';
import { planDispatch } from '../../models/moe/dispatch.ts';
import { updateSelectionBias } from '../../models/moe/losses.ts';
import { initMoeParams, moeLayer, resolveMoeConfig } from '../../models/moe/moe-layer.ts';
import type { MoeConfig, MoeParams } from '../../models/moe/moe-layer.ts';
import { describeBackends, maxAbsDiff, values } from './tf-backends.ts';

/** tfjs tensors holding the same weights as a gate.ts reference layer. */
function toTensors(ref: MoEParams): MoeParams {
  const m = (rows: readonly (readonly number[])[]): tf.Tensor2D => tf.tensor2d(rows.map((r) => [...r]));
  return {
    wGate: m(ref.routerWeight),
    experts: ref.experts.map((w) => ({ w1: m(w.w1), w2: m(w.w2), w3: m(w.w3) })),
  };
}

function disposeParams(p: MoeParams): void {
  tf.dispose([p.wGate, ...p.experts.flatMap((w) => [w.w1, w.w2, w.w3])]);
}

/** Deterministic pseudo-random numbers in [-1, 1). */
function randomArray(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

describeBackends('moe layer', () => {
  it('matches the plain-JS reference moeForward (models/moe/gate.ts) token by token', () => {
    for (const [numExperts, k] of [
      [4, 2],
      [8, 2],
      [3, 1],
    ] as const) {
      const ref = randomMoEParams({ numExperts, dModel: 8, dHidden: 12, seed: 7 + numExperts });
      const xs = Array.from({ length: 10 }, (_, t) => randomArray(8, 100 + t));
      const params = toTensors(ref);
      const config: MoeConfig = { dModel: 8, dHidden: 12, numExperts, topK: k };
      const got = tf.tidy(() => values(moeLayer(tf.tensor2d(xs), params, config).output));
      const want = xs.flatMap((x) => moeForward(ref, x, k).y);
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
      disposeParams(params);
    }
  });

  it('equals the dense-masked baseline to 1e-5 for every gate, several (N, K), and with capacity drops', () => {
    const cases: MoeConfig[] = [
      { dModel: 16, dHidden: 24, numExperts: 1, topK: 1 },
      { dModel: 16, dHidden: 24, numExperts: 2, topK: 2 },
      { dModel: 16, dHidden: 24, numExperts: 4, topK: 1 },
      { dModel: 16, dHidden: 24, numExperts: 4, topK: 2 },
      { dModel: 16, dHidden: 24, numExperts: 8, topK: 2 },
      { dModel: 16, dHidden: 24, numExperts: 8, topK: 4 },
      { dModel: 16, dHidden: 24, numExperts: 16, topK: 2 },
      { dModel: 16, dHidden: 24, numExperts: 8, topK: 2, normTopK: false },
      { dModel: 16, dHidden: 24, numExperts: 8, topK: 1, gate: 'switch' },
      { dModel: 16, dHidden: 24, numExperts: 4, topK: 4, gate: 'softmax' },
      { dModel: 16, dHidden: 24, numExperts: 8, topK: 2, gate: 'noisy-topk' },
      { dModel: 16, dHidden: 24, numExperts: 8, topK: 2, capacityFactor: 0.75 },
    ];
    cases.forEach((config, i) => {
      const params = initMoeParams(config, 10 + i);
      const [sparse, masked, dropped] = tf.tidy(() => {
        const x = tf.randomNormal([48, 16], 0, 1, 'float32', 20 + i);
        const options = { training: true, seed: 5, stats: true };
        const a = moeLayer(x, params, config, options);
        const b = moeLayer(x, params, config, { ...options, dispatch: 'dense-masked-baseline' });
        return [values(a.output), values(b.output), a.stats!.dropped.length];
      });
      expect(maxAbsDiff(sparse, masked), JSON.stringify(config)).toBeLessThan(1e-5);
      if (config.capacityFactor !== undefined) expect(dropped).toBeGreaterThan(0);
      tf.dispose(Object.values(params).flat());
      disposeParams(params);
      params.wNoise?.dispose();
    });
  });

  it('gradients for the router and every expert weight match finite differences through the sparse path', () => {
    const config: MoeConfig = { dModel: 6, dHidden: 5, numExperts: 4, topK: 2, auxLossCoef: 0.1, zLossCoef: 0.01 };
    const tokens = 8;
    const shapes: number[][] = [
      [4, 6],
      ...Array.from({ length: 4 }, () => [
        [5, 6],
        [6, 5],
        [5, 6],
      ]).flat(),
    ];
    const init = shapes.map((s, i) => randomArray(s[0]! * s[1]!, 31 + i).map((v) => v * 0.8));
    const x = tf.tensor2d(randomArray(tokens * 6, 3), [tokens, 6]);
    const c = tf.tensor2d(randomArray(tokens * 6, 4), [tokens, 6]);
    const run = (ws: tf.Tensor2D[]): { loss: tf.Scalar; expertIndex: Int32Array } => {
      const params: MoeParams = {
        wGate: ws[0]!,
        experts: [0, 1, 2, 3].map((e) => ({ w1: ws[1 + 3 * e]!, w2: ws[2 + 3 * e]!, w3: ws[3 + 3 * e]! })),
      };
      const out = moeLayer(x, params, config, { stats: true });
      expect(Array.from(out.expertTokens).every((n) => n > 0)).toBe(true); // every expert gets a gradient
      return { loss: tf.add(tf.sum(tf.mul(out.output, c)), out.auxLoss!), expertIndex: out.stats!.expertIndex };
    };
    const weights = init.map((v, i) => tf.tensor2d(v, shapes[i] as [number, number]));
    const base = tf.tidy(() => run(weights).expertIndex);
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
          return tf.tensor2d(copy, shapes[j] as [number, number]);
        });
        const { loss, expertIndex } = run(bumped);
        expect(Array.from(expertIndex), 'a finite-difference step changed the routing').toEqual(Array.from(base));
        return loss.dataSync()[0]!;
      });
    // Every router entry, and 6 entries of each expert weight.
    for (let w = 0; w < shapes.length; w++) {
      const n = init[w]!.length;
      const entries = w === 0 ? [...Array(n).keys()] : [0, 7, 13, 19, 23, n - 1];
      for (const i of entries) {
        const fd = (lossAt(w, i, eps) - lossAt(w, i, -eps)) / (2 * eps);
        expect(Math.abs(grads[w]![i]! - fd), `weight ${w}, entry ${i}`).toBeLessThan(2e-3 + 1e-2 * Math.abs(fd));
      }
    }
    tf.dispose([x, c, ...weights]);
  });

  it('reports routing statistics, FLOPs and parameter counts', () => {
    const config: MoeConfig = { dModel: 4, dHidden: 8, numExperts: 4, topK: 2 };
    const params = initMoeParams(config, 3);
    const x = tf.randomNormal([10, 4], 0, 1, 'float32', 9);
    const { output, stats, auxLoss } = moeLayer(x, params, config, { stats: true });
    expect(auxLoss).toBeNull();
    const s = stats!;
    expect(s.expertIndex.length).toBe(20);
    expect(s.expertTokens.reduce((a, b) => a + b, 0)).toBe(20);
    expect(s.dropped).toEqual([]);
    expect(s.capacity).toBeNull();
    for (let t = 0; t < 10; t++) expect(s.gateWeights[2 * t]! + s.gateWeights[2 * t + 1]!).toBeCloseTo(1, 6);
    const meanProb = tf.tidy(() => values(tf.mean(tf.softmax(tf.matMul(x, params.wGate, false, true)), 0)));
    expect(maxAbsDiff(s.expertMeanProb, meanProb)).toBeLessThan(1e-6);
    // Experts: 3·d·h = 96 weights each; router: N·d = 16.
    expect(s.params).toEqual({ total: 4 * 96 + 16, active: 2 * 96 + 16 });
    // Forward FLOPs: router 2·T·d·N = 320; experts 2·rows·3·d·h = 2·20·96 (active) or 2·40·96 (dense).
    expect(s.flops).toEqual({ active: 320 + 2 * 20 * 96, dense: 320 + 2 * 40 * 96 });
    tf.dispose([x, output]);
    disposeParams(params);
  });

  it('with a capacity, drops the overflow, zeroes fully dropped tokens and says which were dropped', () => {
    // Every token prefers expert 0 (router row 0 is large), K = 1, capacity ⌈1 · 4 · 1 / 2⌉ = 2.
    const config: MoeConfig = { dModel: 2, dHidden: 3, numExperts: 2, topK: 1, capacityFactor: 1 };
    const params = initMoeParams(config, 1);
    const wGate = tf.tensor2d([
      [5, 5],
      [0, 0],
    ]);
    const x = tf.tensor2d([
      [1, 1],
      [2, 1],
      [1, 3],
      [2, 2],
    ]);
    const { output, stats } = moeLayer(x, { ...params, wGate }, config, { stats: true });
    expect(stats!.capacity).toBe(2);
    expect(stats!.dropped).toEqual([
      [2, 0],
      [3, 0],
    ]);
    expect(Array.from(stats!.expertTokens)).toEqual([2, 0]);
    const out = values(output);
    expect(out.slice(4)).toEqual([0, 0, 0, 0]);
    expect(out.slice(0, 4).some((v) => v !== 0)).toBe(true);
    tf.dispose([wGate, x, output]);
    disposeParams(params);
  });

  it('leaves tf.memory() unchanged after 100 forward+backward passes', () => {
    const config: MoeConfig = { dModel: 8, dHidden: 16, numExperts: 4, topK: 2, auxLossCoef: 0.01, zLossCoef: 1e-3 };
    const params = initMoeParams(config, 2);
    const vars = [params.wGate, ...params.experts.flatMap((w) => [w.w1, w.w2, w.w3])] as tf.Variable[];
    const x = tf.randomNormal([32, 8], 0, 1, 'float32', 1);
    const step = (): void => {
      const { value, grads } = tf.variableGrads(() => {
        const out = moeLayer(x, params, config, { stats: true });
        return tf.add(tf.mean(tf.square(out.output)), out.auxLoss!) as tf.Scalar;
      }, vars);
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const before = tf.memory();
    for (let i = 0; i < 100; i++) step();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
    tf.dispose([x, ...vars]);
  });

  it('throws a sentence for bad shapes and non-finite inputs, and leaks nothing doing so', () => {
    const config: MoeConfig = { dModel: 4, dHidden: 8, numExperts: 4, topK: 2 };
    const params = initMoeParams(config, 1);
    const before = tf.memory().numTensors;
    const bad = tf.zeros([3, 5]);
    expect(() => moeLayer(bad, params, config)).toThrow(
      'The input must have shape [..., 4] (tokens × dModel); got [3, 5].',
    );
    const nan = tf.tensor2d([
      [0, 1, NaN, 0],
      [1, 1, 1, 1],
    ]);
    expect(() => moeLayer(nan, params, config)).toThrow(
      'The input holds a non-finite value (NaN) at token 0, feature 2; MoE layers need finite inputs.',
    );
    const inf = tf.tensor2d([[0, Infinity, 0, 0]]);
    expect(() => moeLayer(inf, params, config)).toThrow(/non-finite value \(Infinity\) at token 0, feature 1/);
    // Without the input check, the router's own check still names the problem.
    expect(() => moeLayer(nan, params, config, { checkFinite: false })).toThrow(/non-finite score \(NaN\) for token 0/);
    expect(() => moeLayer(tf.zeros([2, 4]), { ...params, experts: params.experts.slice(1) }, config)).toThrow(
      'The config has 4 experts but params.experts holds 3.',
    );
    expect(() => moeLayer(tf.zeros([2, 4]), params, { ...config, dHidden: 9 })).toThrow(
      'params.experts[0].w1 must have shape [9, 4] for this config; got [8, 4].',
    );
    // Inside a gradient tape too: a throw mid-tape must not strand tensors.
    const vars = [params.wGate];
    expect(() =>
      tf.variableGrads(() => tf.sum(moeLayer(nan, params, config).output) as tf.Scalar, vars as tf.Variable[]),
    ).toThrow(/non-finite/);
    tf.dispose([bad, nan, inf]);
    expect(tf.memory().numTensors).toBe(before + 2); // the two tf.zeros passed inline above
    disposeParams(params);
  });

  it('aux-loss-free bias updates even out a skewed router without touching its weights', () => {
    const config: MoeConfig = { dModel: 8, dHidden: 4, numExperts: 4, topK: 1 };
    const params = initMoeParams(config, 5);
    const x = tf.randomNormal([256, 8], 0, 1, 'float32', 6);
    // Skew the router: expert 0's row is the sum of all rows, so it wins for many tokens.
    const skewed = tf.tidy(() => tf.concat([tf.sum(params.wGate, 0, true), tf.slice(params.wGate, [1, 0], [3, 8])]));
    const p: MoeParams = { ...params, wGate: skewed as tf.Tensor2D, selectionBias: new Float32Array(4) };
    const spread = (load: Int32Array): number => Math.max(...load) - Math.min(...load);
    const loadNow = (): Int32Array => {
      const out = moeLayer(x, p, config);
      out.output.dispose();
      return out.expertTokens;
    };
    const first = spread(loadNow());
    for (let step = 0; step < 60; step++) p.selectionBias = updateSelectionBias(p.selectionBias!, loadNow(), 0.005);
    expect(spread(loadNow())).toBeLessThan(first / 2);
    tf.dispose([x, skewed]);
    disposeParams(params);
  });

  it('takes any leading shape, e.g. [batch, time, dModel]', () => {
    const config: MoeConfig = { dModel: 4, dHidden: 8, numExperts: 4, topK: 2 };
    const params = initMoeParams(config, 1);
    const [a, b] = tf.tidy(() => {
      const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 2);
      const y3 = moeLayer(x, params, config).output;
      expect(y3.shape).toEqual([2, 3, 4]);
      return [values(y3), values(moeLayer(tf.reshape(x, [6, 4]), params, config).output)];
    });
    expect(a).toEqual(b);
    disposeParams(params);
  });
});

it('rejects impossible configs with sentences that say what to change', () => {
  const base = { dModel: 4, dHidden: 8, numExperts: 8, topK: 2 };
  expect(() => resolveMoeConfig({ ...base, topK: 9 })).toThrow(
    'K must be a whole number between 1 and the number of experts (8); got 9.',
  );
  expect(() => resolveMoeConfig({ ...base, topK: 0 })).toThrow(/got 0/);
  expect(() => resolveMoeConfig({ ...base, numExperts: 0 })).toThrow(
    'The number of experts must be a whole number of at least 1; got 0.',
  );
  expect(() => resolveMoeConfig({ ...base, gate: 'switch' })).toThrow(/K must be 1; got 2/);
  expect(() => resolveMoeConfig({ ...base, gate: 'softmax' })).toThrow(/K must equal the number of experts \(8\)/);
  expect(() => resolveMoeConfig({ ...base, capacityFactor: 0 })).toThrow(/capacityFactor must be positive/);
  expect(() => resolveMoeConfig({ ...base, dModel: 0 })).toThrow('dModel must be a positive integer; got 0.');
});

it('plans dispatch by expert, serving first choices before second choices when capacity is short', () => {
  // 3 tokens, K = 2: token 0 → (1, 0), token 1 → (1, 2), token 2 → (0, 1). Capacity 2 per expert.
  const plan = planDispatch(Int32Array.from([1, 0, 1, 2, 0, 1]), 3, 2, 2);
  // First choices: expert 1 takes tokens 0 and 1, expert 0 takes token 2. Second choices: token 0 → 0 (fits),
  // token 1 → 2 (fits), token 2 → 1 (full: dropped).
  expect(Array.from(plan.droppedSlots)).toEqual([5]);
  expect(Array.from(plan.expertTokens)).toEqual([2, 2, 1]);
  expect(Array.from(plan.tokens)).toEqual([0, 2, 0, 1, 1]);
  expect(Array.from(plan.slots)).toEqual([1, 4, 0, 2, 3]);
  const dropless = planDispatch(Int32Array.from([1, 0, 1, 2, 0, 1]), 3, 2);
  expect(Array.from(dropless.expertTokens)).toEqual([2, 3, 1]);
  expect(dropless.droppedSlots.length).toBe(0);
});
