// Fine-tuning a subset of the weights (train-config's `trainable`): under "attention-router" the experts,
// embeddings, norms and LM head stay bit-identical through real optimiser steps while attention and the
// router change; the validator reads the field and refuses anything else.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupNodeBackend } from '../../models/node/backend-node.ts';
import { parseMixtralConfig } from '../../models/nn/config.ts';
import { disposeModel, initMixtral } from '../../models/nn/transformer.ts';
import { Training } from '../../models/training/trainer.ts';
import { DEFAULT_TRAIN_RUN, isTrainable, validateTrainRun } from '../../models/training/train-config.ts';

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
});
const stream = Int32Array.from({ length: 2000 }, (_, i) => (i * 7 + Math.floor(i / 13)) % 24);

describe('isTrainable', () => {
  it('keeps attention and router weights under attention-router, and every weight under all', () => {
    expect(isTrainable('model.layers.0.self_attn.q_proj.weight', 'attention-router')).toBe(true);
    expect(isTrainable('model.layers.1.block_sparse_moe.gate.weight', 'attention-router')).toBe(true);
    expect(isTrainable('model.layers.1.block_sparse_moe.experts.3.w2.weight', 'attention-router')).toBe(false);
    expect(isTrainable('model.embed_tokens.weight', 'attention-router')).toBe(false);
    expect(isTrainable('lm_head.weight', 'attention-router')).toBe(false);
    expect(isTrainable('model.layers.0.input_layernorm.weight', 'attention-router')).toBe(false);
    expect(isTrainable('model.layers.1.block_sparse_moe.experts.3.w2.weight', 'all')).toBe(true);
  });
});

describe('training only some weights (wasm)', () => {
  beforeAll(async () => {
    await setupNodeBackend('wasm');
  });

  it('leaves frozen weights bit-identical and moves the trainable ones', async () => {
    const model = initMixtral(config, 3);
    const before = new Map([...model.weights].map(([name, v]) => [name, v.dataSync().slice()]));
    const trainable = [...model.weights.keys()].filter((n) => isTrainable(n, 'attention-router'));
    const tensorsBefore = tf.memory().numTensors;
    const run = new Training(model, {
      train: stream,
      steps: 5,
      batchSize: 2,
      seqLen: 8,
      seed: 1,
      schedule: { maxLr: 1e-2, minLr: 1e-3, warmupSteps: 1 },
      trainable,
    });
    while (run.step());
    run.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    let moved = 0;
    for (const [name, v] of model.weights) {
      const now = v.dataSync();
      const same = now.every((x, i) => Object.is(x, before.get(name)![i]));
      if (isTrainable(name, 'attention-router')) moved += same ? 0 : 1;
      else expect(same, `${name} must stay frozen`).toBe(true);
    }
    expect(moved).toBe(trainable.length);
    disposeModel(model);
  });
});

describe('validateTrainRun: trainable and the fine-tuning slice', () => {
  const context = { vocabSize: 1024, endOfTextId: 0 };
  it('accepts the optional fields and leaves them out when absent (today’s behaviour)', () => {
    const plain = validateTrainRun(DEFAULT_TRAIN_RUN, context);
    expect(plain.ok && plain.run.trainable).toBe(undefined);
    const v = validateTrainRun(
      {
        ...DEFAULT_TRAIN_RUN,
        trainable: 'attention-router',
        data: { genres: ['r'], maxTokens: 4000, validateOnGenres: true },
      },
      context,
    );
    expect(v.ok).toBe(true);
    if (v.ok) {
      expect(v.run.trainable).toBe('attention-router');
      expect(v.run.data).toEqual({ genres: ['r'], maxTokens: 4000, validateOnGenres: true });
    }
  });
  it('refuses an unknown group and a slice shorter than one window, in sentences', () => {
    const v = validateTrainRun(
      { ...DEFAULT_TRAIN_RUN, trainable: 'experts', data: { genres: null, maxTokens: 10 } },
      context,
    );
    expect(v.ok).toBe(false);
    if (!v.ok) {
      expect(v.errors.join(' ')).toContain('trainable must be one of "all", "attention-router"; got "experts".');
      expect(v.errors.join(' ')).toContain('The training slice (10 tokens) must hold one window of 65 tokens.');
    }
  });
});
