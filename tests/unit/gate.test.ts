import { describe, expect, it } from 'vitest';
import {
  firstExperts,
  mixtralGate,
  moeForward,
  randomMoEParams,
  silu,
  softmax,
  swiglu,
  topK,
} from '../../models/moe/gate.ts';
import { checkK } from '../../models/moe/check-k.ts';
import { seededRandom } from '../../models/random.ts';

const sum = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0);

describe('softmax', () => {
  it('matches a hand-computed case', () => {
    // e^0, e^1, e^2 = 1, 2.718281828, 7.389056099; total 11.107337927
    const p = softmax([0, 1, 2]);
    expect(p[0]).toBeCloseTo(0.0900305732, 9);
    expect(p[1]).toBeCloseTo(0.2447284711, 9);
    expect(p[2]).toBeCloseTo(0.6652409558, 9);
  });
  it('does not overflow on large logits', () => {
    expect(softmax([1000, 1000])).toEqual([0.5, 0.5]);
  });
  it('rejects non-finite logits with the position', () => {
    expect(() => softmax([0, Number.NaN])).toThrow('logits[1] must be a finite number');
  });
});

describe('topK', () => {
  it('picks the largest values, largest first, ties to the lower index', () => {
    expect(topK([0.1, 3, -2, 3, 1], 3)).toEqual([1, 3, 4]);
  });
  it('rejects K outside 1..N with a readable message', () => {
    expect(() => topK([1, 2], 3)).toThrow('K must be a whole number between 1 and the number of experts (2); got 3.');
    expect(() => topK([1, 2], 0)).toThrow('got 0');
    expect(() => checkK(1, 0)).toThrow('at least 1');
    expect(() => checkK(1.5, 4)).toThrow('got 1.5');
  });
});

describe('mixtralGate', () => {
  it('matches a hand-computed top-2 of 4', () => {
    // logits [1, 3, 0, 2]: top-2 = experts 1 and 3; weights e^3/(e^3+e^2) and e^2/(e^3+e^2)
    const g = mixtralGate([1, 3, 0, 2], 2);
    expect(g.selected).toEqual([1, 3]);
    expect(g.weights[1]).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
    expect(g.weights[3]).toBeCloseTo(1 / (1 + Math.exp(1)), 12);
    expect(g.weights[0]).toBe(0);
    expect(g.weights[2]).toBe(0);
  });

  it('has weights summing to 1 with exactly K non-zero, for random logits', () => {
    const random = seededRandom(7);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(random() * 16);
      const k = 1 + Math.floor(random() * n);
      const logits = Array.from({ length: n }, () => (random() - 0.5) * 10);
      const g = mixtralGate(logits, k);
      expect(sum(g.weights)).toBeCloseTo(1, 12);
      expect(g.weights.filter((w) => w > 0)).toHaveLength(k);
      expect(new Set(g.selected).size).toBe(k);
    }
  });

  it('equals plain softmax when K = N', () => {
    const logits = [0.3, -1.2, 2.5, 0.9, -0.4];
    const g = mixtralGate(logits, logits.length);
    g.weights.forEach((w, i) => expect(w).toBeCloseTo(softmax(logits)[i]!, 14));
  });

  it('equals a softmax over the selected logits alone', () => {
    const logits = [0.3, -1.2, 2.5, 0.9, -0.4, 1.7];
    const g = mixtralGate(logits, 3);
    const direct = softmax(g.selected.map((i) => logits[i]!));
    g.selected.forEach((i, j) => expect(g.weights[i]).toBeCloseTo(direct[j]!, 14));
  });
});

describe('experts and the full layer', () => {
  it('computes SwiGLU by hand for a 1-d model', () => {
    const expert = { w1: [[2]], w3: [[3]], w2: [[0.5]] };
    // x = 1: gate 2, up 3, hidden silu(2)·3, out 0.5·that
    expect(swiglu(expert, [1])[0]).toBeCloseTo(0.5 * silu(2) * 3, 14);
    expect(silu(2)).toBeCloseTo(2 / (1 + Math.exp(-2)), 14);
  });

  it('runs only the selected experts and sums their weighted outputs', () => {
    const params = randomMoEParams({ numExperts: 8, dModel: 4, dHidden: 6, seed: 1 });
    const x = [0.5, -1, 0.25, 2];
    const trace = moeForward(params, x, 2);
    expect([...trace.expertOutputs.keys()]).toEqual(trace.selected);
    const expected = x.map((_, j) =>
      trace.selected.reduce((acc, i) => acc + trace.weights[i]! * swiglu(params.experts[i]!, x)[j]!, 0),
    );
    trace.y.forEach((v, j) => expect(v).toBeCloseTo(expected[j]!, 12));
  });

  it('with K = N equals the dense softmax-gated sum over all experts', () => {
    const params = randomMoEParams({ numExperts: 5, dModel: 3, dHidden: 4, seed: 3 });
    const x = [1, -0.5, 0.75];
    const trace = moeForward(params, x, 5);
    const dense = x.map((_, j) => params.experts.reduce((acc, e, i) => acc + trace.probs[i]! * swiglu(e, x)[j]!, 0));
    trace.y.forEach((v, j) => expect(v).toBeCloseTo(dense[j]!, 12));
  });

  it('keeps the existing experts when N grows', () => {
    const big = randomMoEParams({ numExperts: 16, dModel: 4, dHidden: 6, seed: 9 });
    const small = firstExperts(big, 4);
    expect(small.experts).toHaveLength(4);
    expect(small.experts[3]).toBe(big.experts[3]);
    expect(small.routerWeight[2]).toBe(big.routerWeight[2]);
  });

  it('rejects bad input with clear messages', () => {
    const params = randomMoEParams({ numExperts: 4, dModel: 2, dHidden: 3, seed: 2 });
    expect(() => moeForward(params, [1, 2], 5)).toThrow('between 1 and the number of experts (4); got 5');
    expect(() => moeForward(params, [1, Number.POSITIVE_INFINITY], 1)).toThrow('x[1] must be a finite number');
    expect(() => moeForward(params, [1, 2, 3], 1)).toThrow('dot product of lengths 2 and 3');
  });
});
