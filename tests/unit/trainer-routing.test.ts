// The training loop's routing options and its memory over a long run: bias balancing (DeepSeek-V3 §2.1.2)
// moves each layer's selection bias by ±γ per step against the step's measured load and changes which
// experts are chosen; a capacity factor drops slots; and tf.memory() stays flat over 300 steps with both on.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupNodeBackend } from '../../models/node/backend-node.ts';
import { parseMixtralConfig } from '../../models/nn/config.ts';
import { disposeModel, initMixtral } from '../../models/nn/transformer.ts';
import { Training, type TrainOptions } from '../../models/training/trainer.ts';

const config = parseMixtralConfig({
  model_type: 'mixtral',
  vocab_size: 24,
  hidden_size: 8,
  intermediate_size: 8,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  num_local_experts: 4,
  num_experts_per_tok: 2,
  max_position_embeddings: 8,
  router_aux_loss_coef: 0,
  router_z_loss_coef: 0.001,
});
const stream = Int32Array.from({ length: 3000 }, (_, i) => (i * 7 + Math.floor(i / 13)) % 24);
const options = (over: Partial<TrainOptions> = {}): TrainOptions => ({
  train: stream,
  steps: 300,
  batchSize: 2,
  seqLen: 8,
  seed: 3,
  schedule: { maxLr: 1e-2, minLr: 1e-3, warmupSteps: 5 },
  ...over,
});

describe('training with routing options (wasm)', () => {
  beforeAll(async () => {
    tf.env().set('IS_TEST', true);
    await setupNodeBackend('wasm');
  });

  it('moves the selection bias by γ·sign(mean load − load) each step, and it changes the routing', () => {
    const rate = 0.05;
    const model = initMixtral(config, 1);
    const plain = initMixtral(config, 1);
    const run = new Training(model, options({ steps: 6, routing: { biasUpdateRate: rate } }));
    const reference = new Training(plain, options({ steps: 6 }));
    let bias = [new Float32Array(4), new Float32Array(4)];
    let differed = false;
    for (let s = 0; s < 6; s++) {
      const p = run.step()!;
      const q = reference.step()!;
      if (JSON.stringify(p.expertTokens) !== JSON.stringify(q.expertTokens)) differed = true;
      bias = bias.map((b, l) => {
        const load = p.expertTokens[l]!;
        const meanLoad = load.reduce((a, c) => a + c, 0) / load.length;
        return Float32Array.from(b, (x, e) => x + rate * Math.sign(meanLoad - load[e]!));
      });
      run.selectionBias()!.forEach((b, l) => b.forEach((x, e) => expect(x).toBeCloseTo(bias[l]![e]!, 6)));
    }
    expect(differed).toBe(true); // step 1 routes alike (bias 0); later steps choose differently
    expect(reference.selectionBias()).toBeNull();
    [run, reference].forEach((r) => r.dispose());
    [model, plain].forEach(disposeModel);
  });

  it('keeps tf.memory() flat over a 300-step run with capacity and bias balancing on', () => {
    const model = initMixtral(config, 2);
    const before = tf.memory();
    const run = new Training(model, options({ routing: { capacityFactor: 1, biasUpdateRate: 0.001 } }));
    const held = tf.memory().numTensors; // the weights' AdamW moments
    const counts: number[] = [];
    let dropped = 0;
    for (let p = run.step(); p !== null; p = run.step()) {
      counts.push(tf.memory().numTensors);
      dropped += p.droppedSlots.reduce((a, b) => a + b, 0);
    }
    expect(counts).toHaveLength(300);
    // Not one tensor more after any step than before the first.
    expect(new Set(counts)).toEqual(new Set([held]));
    expect(dropped).toBeGreaterThan(0); // a capacity of exactly tokens·K/N drops whatever is uneven
    run.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    disposeModel(model);
  }, 120_000);
});
