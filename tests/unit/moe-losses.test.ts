// Auxiliary losses against their formulas evaluated by hand, and the aux-loss-free bias update.

import { expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadBalancingLoss, routerZLoss, updateSelectionBias } from '../../models/moe/losses.ts';
import { describeBackends, values } from './tf-backends.ts';

describeBackends('losses', () => {
  it('load-balancing loss is α·N·Σᵢ fᵢ·Pᵢ with fᵢ counted over all K slots (HF load_balancing_loss_func)', () => {
    // 2 tokens, 3 experts, K = 2. Token 0 → experts {0, 1}; token 1 → experts {0, 2}.
    const probs = tf.tensor2d([
      [0.5, 0.3, 0.2],
      [0.6, 0.1, 0.3],
    ]);
    const expertIndex = Int32Array.from([0, 1, 0, 2]);
    // f = [2/2, 1/2, 1/2]; P = [0.55, 0.2, 0.25]; Σ f·P = 0.55 + 0.1 + 0.125 = 0.775; × N = 2.325.
    const loss = loadBalancingLoss(probs, expertIndex, 0.02);
    expect(loss.dataSync()[0]).toBeCloseTo(0.02 * 3 * 0.775, 6);
    // Only P carries a gradient: ∂L/∂p[t, i] = α·N·fᵢ / tokens.
    const grad = tf.grad((p: tf.Tensor) => loadBalancingLoss(p as tf.Tensor2D, expertIndex, 0.02))(probs);
    const g = [1, 0.5, 0.5].map((f) => (0.02 * 3 * f) / 2);
    values(grad).forEach((v, i) => expect(v).toBeCloseTo(g[i % 3]!, 6));
    tf.dispose([probs, loss, grad]);
  });

  it('load-balancing loss of a perfectly even top-K router equals α·K', () => {
    const probs = tf.fill([4, 4], 0.25) as tf.Tensor2D;
    const expertIndex = Int32Array.from([0, 1, 2, 3, 0, 1, 2, 3]); // K = 2, every expert twice
    const loss = loadBalancingLoss(probs, expertIndex, 0.1);
    expect(loss.dataSync()[0]).toBeCloseTo(0.1 * 2, 6);
    tf.dispose([probs, loss]);
  });

  it('router z-loss is β · mean over tokens of (log Σ exp logits)² (ST-MoE)', () => {
    const logits = tf.tensor2d([
      [0, 0],
      [1, 2],
    ]);
    const lse0 = Math.log(2);
    const lse1 = Math.log(Math.E + Math.E ** 2);
    const loss = routerZLoss(logits, 1e-3);
    expect(loss.dataSync()[0]).toBeCloseTo((1e-3 * (lse0 ** 2 + lse1 ** 2)) / 2, 8);
    // ∂/∂logit = β · 2·lse·softmax / tokens.
    const grad = values(tf.grad((l: tf.Tensor) => routerZLoss(l as tf.Tensor2D, 1e-3))(logits));
    const s1 = [Math.E, Math.E ** 2].map((v) => v / (Math.E + Math.E ** 2));
    const expected = [lse0 * 0.5, lse0 * 0.5, lse1 * s1[0]!, lse1 * s1[1]!].map((v) => (1e-3 * 2 * v) / 2);
    grad.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 8));
    tf.dispose([logits, loss]);
  });
});

it('the aux-loss-free bias rises for under-used experts and falls for over-used ones', () => {
  // Mean load 10: expert 0 over-used, expert 1 exactly even, expert 2 under-used.
  const next = updateSelectionBias([0, 0.5, -0.5], [15, 10, 5], 0.01);
  expect(Array.from(next)).toEqual([-0.01, 0.5, -0.49].map(Math.fround));
  expect(() => updateSelectionBias([0, 0], [1, 2, 3], 0.01)).toThrow(/one per expert/);
});
