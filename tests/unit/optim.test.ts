// AdamW against torch.optim.AdamW itself (the expected values are what scripts/reference/adamw_reference.py
// prints with torch 1.13), the LR schedule, and clipping.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setupNodeBackend } from '../../models/node/backend-node.ts';
import { AdamW, clipByGlobalNorm, decaysByRank, learningRate } from '../../models/training/optim.ts';
import type { LrSchedule } from '../../models/training/optim.ts';
import { maxAbsDiff } from './tf-backends.ts';

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await setupNodeBackend('cpu');
});

describe('AdamW', () => {
  const config = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
  let weights: Map<string, tf.Variable>;
  let optimizer: AdamW;
  beforeAll(() => {
    weights = new Map<string, tf.Variable>([
      [
        'w',
        tf.variable(
          tf.tensor2d([
            [1, 2],
            [3, 4],
          ]),
        ),
      ],
      ['norm', tf.variable(tf.tensor1d([1, 0.5]))],
    ]);
    optimizer = new AdamW(weights, config);
  });
  afterAll(() => {
    optimizer.dispose();
    weights.forEach((w) => w.dispose());
  });

  it('decays matrices but not norm gains (nanoGPT: rank ≥ 2 only)', () => {
    expect(optimizer.decayedNames()).toEqual(['w']);
    expect(decaysByRank([64])).toBe(false);
    expect(decaysByRank([1024, 64])).toBe(true);
  });

  it('matches torch.optim.AdamW over two steps (values from scripts/reference/adamw_reference.py)', () => {
    const step = (w: number[][], n: number[]): void => {
      const grads = { w: tf.tensor2d(w), norm: tf.tensor1d(n) };
      optimizer.apply(grads, 0.1);
      tf.dispose(Object.values(grads));
    };
    // Step 1: m̂ = g and v̂ = g², so the update is lr·sign(g) (0 where g = 0), after the 1 − lr·λ decay.
    step(
      [
        [0.1, -0.2],
        [0.3, 0],
      ],
      [0.2, -0.1],
    );
    expect(maxAbsDiff(weights.get('w')!.dataSync(), [0.89, 2.08, 2.87, 3.96])).toBeLessThan(1e-6);
    expect(maxAbsDiff(weights.get('norm')!.dataSync(), [0.9, 0.6])).toBeLessThan(1e-6);
    step(
      [
        [-0.05, 0.4],
        [0.1, 0.2],
      ],
      [0.3, 0.3],
    );
    expect(maxAbsDiff(weights.get('w')!.dataSync(), [0.8542631, 2.0228626, 2.7533038, 3.846904])).toBeLessThan(1e-5);
    expect(maxAbsDiff(weights.get('norm')!.dataSync(), [0.8013948, 0.5510704])).toBeLessThan(1e-5);
    expect(optimizer.step).toBe(2);
  });

  it('saves and restores its state exactly, and leaks no tensors', () => {
    const before = tf.memory().numTensors;
    const state = optimizer.getState();
    const other = new AdamW(weights, config);
    other.setState(state);
    const restored = other.getState();
    expect(restored.step).toBe(2);
    expect([...restored.m.get('w')!]).toEqual([...state.m.get('w')!]);
    expect([...restored.v.get('norm')!]).toEqual([...state.v.get('norm')!]);
    other.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a state saved for other parameters, with a sentence', () => {
    const other = new AdamW(new Map([['x', weights.get('w')!]]), config);
    expect(() => other.setState(optimizer.getState())).toThrow(/different model/);
    other.dispose();
  });
});

describe('learningRate (nanoGPT get_lr)', () => {
  const s: LrSchedule = { maxLr: 1e-3, minLr: 1e-4, warmupSteps: 9, decaySteps: 109 };
  it('warms up linearly from maxLr/(warmup+1)', () => {
    expect(learningRate(0, s)).toBeCloseTo(1e-4, 12);
    expect(learningRate(4, s)).toBeCloseTo(5e-4, 12);
    expect(learningRate(8, s)).toBeCloseTo(9e-4, 12);
  });
  it('peaks at the end of warm-up, halves at mid-decay and floors at minLr', () => {
    expect(learningRate(9, s)).toBeCloseTo(1e-3, 12);
    expect(learningRate(59, s)).toBeCloseTo(5.5e-4, 12); // minLr + ½(maxLr − minLr)
    expect(learningRate(109, s)).toBeCloseTo(1e-4, 12);
    expect(learningRate(500, s)).toBe(1e-4);
  });
  it('never increases after warm-up', () => {
    for (let t = 10; t < 120; t++) expect(learningRate(t, s)).toBeLessThanOrEqual(learningRate(t - 1, s) + 1e-15);
  });
});

describe('clipByGlobalNorm', () => {
  it('scales every gradient by maxNorm / norm when the global norm is larger (PyTorch clip_grad_norm_)', () => {
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor2d([[0, 4]]) }; // global norm 5
    const { grads: clipped, norm } = clipByGlobalNorm(grads, 1);
    expect(norm).toBeCloseTo(5, 6);
    const scale = 1 / (5 + 1e-6);
    expect(maxAbsDiff(clipped.a!.dataSync(), [3 * scale, 0])).toBeLessThan(1e-7);
    expect(maxAbsDiff(clipped.b!.dataSync(), [0, 4 * scale])).toBeLessThan(1e-7);
    tf.dispose([...Object.values(grads), ...Object.values(clipped)]);
  });
  it('leaves gradients under the limit unchanged', () => {
    const grads = { a: tf.tensor1d([0.3, 0.4]) };
    const { grads: clipped, norm } = clipByGlobalNorm(grads, 1);
    expect(norm).toBeCloseTo(0.5, 6);
    expect([...clipped.a!.dataSync()]).toEqual([...grads.a.dataSync()]);
    tf.dispose([grads.a, clipped.a!]);
  });
});
