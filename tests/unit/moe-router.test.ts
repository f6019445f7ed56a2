// Router gates against routing worked out by hand, and gradient flow through the discrete top-K choice.

import { expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { denseSoftmaxGate, noisyTopKGate, selectTopK, switchGate, topKGate } from '../../models/moe/router.ts';
import { checkK } from '../../models/moe/check-k.ts';
import { describeBackends, values } from './tf-backends.ts';

const e = Math.E;
// Token 0 has logits [1, 2, 3, 0]: softmax denominator Z = e + e² + e³ + 1.
const Z = e + e ** 2 + e ** 3 + 1;
const LOGITS = [
  [1, 2, 3, 0],
  [0, 0, 0, 0], // all tied: the lower expert index wins
];

describeBackends('router', () => {
  it('dense softmax gate weights every expert by its probability', () => {
    tf.tidy(() => {
      const r = denseSoftmaxGate(tf.tensor2d(LOGITS));
      expect(Array.from(r.expertIndex)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
      const expected = [e / Z, e ** 2 / Z, e ** 3 / Z, 1 / Z, 0.25, 0.25, 0.25, 0.25];
      values(r.gateWeights).forEach((w, i) => expect(w).toBeCloseTo(expected[i]!, 6));
    });
  });

  it('Mixtral top-2 renormalises the chosen probabilities (= softmax over the chosen logits)', () => {
    tf.tidy(() => {
      const r = topKGate(tf.tensor2d(LOGITS), 2);
      expect(Array.from(r.expertIndex)).toEqual([2, 1, 0, 1]);
      // softmax([3, 2]) = [e/(e+1), 1/(e+1)]; ties give [0.5, 0.5].
      const expected = [e / (e + 1), 1 / (e + 1), 0.5, 0.5];
      values(r.gateWeights).forEach((w, i) => expect(w).toBeCloseTo(expected[i]!, 6));
    });
  });

  it('normTopK=false (Qwen-style) keeps the raw probabilities', () => {
    tf.tidy(() => {
      const r = topKGate(tf.tensor2d(LOGITS), 2, { normTopK: false });
      const expected = [e ** 3 / Z, e ** 2 / Z, 0.25, 0.25];
      values(r.gateWeights).forEach((w, i) => expect(w).toBeCloseTo(expected[i]!, 6));
    });
  });

  it('Switch top-1 weight is the probability itself, not renormalised to 1', () => {
    tf.tidy(() => {
      const r = switchGate(tf.tensor2d(LOGITS));
      expect(Array.from(r.expertIndex)).toEqual([2, 0]);
      const expected = [e ** 3 / Z, 0.25];
      values(r.gateWeights).forEach((w, i) => expect(w).toBeCloseTo(expected[i]!, 6));
    });
  });

  it('noisy top-K adds ε·softplus(noise logits) before choosing (Shazeer et al. 2017)', () => {
    tf.tidy(() => {
      // softplus(0) = ln 2, so ε = 2 on expert 0 lifts its logit to 1 + 2 ln 2 = ln(4e) > 2.
      const noise = tf.tensor2d([[2, 0, 0, 0]]);
      const r = noisyTopKGate(tf.tensor2d([LOGITS[0]!]), 2, tf.zeros([1, 4]), noise);
      expect(Array.from(r.expertIndex)).toEqual([2, 0]);
      // softmax over the chosen noisy logits [3, ln(4e)] = [e², 4] / (e² + 4).
      const expected = [e ** 2 / (e ** 2 + 4), 4 / (e ** 2 + 4)];
      values(r.gateWeights).forEach((w, i) => expect(w).toBeCloseTo(expected[i]!, 5));
    });
  });

  it('a selection bias changes which experts are chosen but not their weights (DeepSeek-V3)', () => {
    tf.tidy(() => {
      const r = topKGate(tf.tensor2d([LOGITS[0]!]), 2, { selectionBias: [0, 0, 0, 1] });
      expect(Array.from(r.expertIndex)).toEqual([3, 2]);
      const expected = [1 / (1 + e ** 3), e ** 3 / (1 + e ** 3)];
      values(r.gateWeights).forEach((w, i) => expect(w).toBeCloseTo(expected[i]!, 6));
    });
  });

  it('gradients reach the router through the chosen probabilities, matching finite differences', () => {
    const logits = [
      [0.3, -1.2, 2.0, 0.9, -0.4],
      [1.5, 0.2, -0.7, 1.1, 0.0],
      [-0.5, 0.8, 0.1, -2.0, 1.9],
    ];
    const c = tf.tensor2d([
      [0.7, -1.3],
      [2.1, 0.4],
      [-0.6, 1.5],
    ]);
    for (const gate of ['topk', 'norm-off', 'switch'] as const) {
      const f = (l: tf.Tensor2D): tf.Scalar => {
        const r = gate === 'switch' ? switchGate(l) : topKGate(l, 2, gate === 'norm-off' ? { normTopK: false } : {});
        const cc = gate === 'switch' ? tf.slice(c, [0, 0], [3, 1]) : c;
        return tf.sum(tf.mul(r.gateWeights, cc));
      };
      const grad = tf.tidy(() => values(tf.grad((l: tf.Tensor) => f(l as tf.Tensor2D))(tf.tensor2d(logits))));
      expect(grad.some((g) => Math.abs(g) > 1e-3)).toBe(true);
      const eps = 1e-2;
      grad.forEach((g, i) => {
        const bump = (delta: number): number =>
          tf.tidy(() => {
            const l = logits.flat();
            l[i]! += delta;
            return f(tf.tensor2d(l, [3, 5])).dataSync()[0]!;
          });
        expect(g).toBeCloseTo((bump(eps) - bump(-eps)) / (2 * eps), 3);
      });
    }
    c.dispose();
  });
});

it('selectTopK keeps the best K in order and breaks ties towards the lower index', () => {
  expect(Array.from(selectTopK([0.1, 0.5, 0.2, 0.5], 4, 3))).toEqual([1, 3, 2]);
  expect(Array.from(selectTopK([3, 1, 2, 9, 9, 0], 3, 1))).toEqual([0, 0]);
  expect(() => selectTopK([0.1, NaN], 2, 1)).toThrow(/non-finite score \(NaN\) for token 0, expert 1/);
});

it('rejects K and N outside their range with a sentence that says what is allowed', () => {
  expect(() => checkK(9, 8)).toThrow('K must be a whole number between 1 and the number of experts (8); got 9.');
  expect(() => checkK(0, 8)).toThrow('K must be a whole number between 1 and the number of experts (8); got 0.');
  expect(() => checkK(1, 0)).toThrow('The number of experts must be a whole number of at least 1; got 0.');
});
