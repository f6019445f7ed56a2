// The Mixtral transformer: its pieces against hand-computed numbers, the whole forward pass against an
// independent PyTorch transcription of Hugging Face's modeling_mixtral.py (tests/fixtures/tiny-mixtral-torch,
// made by scripts/reference/mixtral_reference.py), causality, the KV cache, and memory.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { causalMask } from '../../models/nn/attention.ts';
import { parseMixtralConfig, type MixtralConfig } from '../../models/nn/config.ts';
import { rmsNorm } from '../../models/nn/rmsnorm.ts';
import { applyRope, ropeTables } from '../../models/nn/rope.ts';
import { disposeCache, emptyCache } from '../../models/nn/kv-cache.ts';
import {
  disposeModel,
  initMixtral,
  mixtralForward,
  mixtralForwardAsync,
  mixtralFromTensors,
  mixtralToTensors,
} from '../../models/nn/transformer.ts';
import { loadCheckpointDir } from '../../models/node/checkpoint-fs.ts';
import { describeBackends, maxAbsDiff, values } from './tf-backends.ts';

const FIXTURE = 'tests/fixtures/tiny-mixtral-torch';

function tinyConfig(overrides: Record<string, unknown> = {}): MixtralConfig {
  return parseMixtralConfig({
    model_type: 'mixtral',
    vocab_size: 40,
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    num_local_experts: 4,
    num_experts_per_tok: 2,
    max_position_embeddings: 32,
    rope_theta: 10000,
    ...overrides,
  });
}

function ids(rows: number[][]): tf.Tensor2D {
  return tf.tensor2d(rows, [rows.length, rows[0]!.length], 'int32');
}

describeBackends('transformer pieces', () => {
  it('RMSNorm matches a hand-computed case', () => {
    // rms([3, 4]) = √12.5; with gains [1, 2]: [3/√12.5, 2·4/√12.5]
    const out = rmsNorm(tf.tensor2d([[3, 4]]), tf.tensor1d([1, 2]), 0);
    expect(maxAbsDiff(values(out), [3 / Math.sqrt(12.5), 8 / Math.sqrt(12.5)])).toBeLessThan(1e-6);
    out.dispose();
  });

  it('RoPE rotates the two halves of a head (transformers’ rotate_half convention)', () => {
    // headDim 4, θ 10000: frequencies [1, 0.01]; at position 1, x = [1, 2, 3, 4], rotate_half(x) = [−3, −4, 1, 2]
    const tables = ropeTables(4, 1, 1, 10000);
    const out = applyRope(tf.tensor4d([1, 2, 3, 4], [1, 1, 1, 4]), tables);
    const [c1, s1, c2, s2] = [Math.cos(1), Math.sin(1), Math.cos(0.01), Math.sin(0.01)];
    const expected = [1 * c1 - 3 * s1, 2 * c2 - 4 * s2, 3 * c1 + 1 * s1, 4 * c2 + 2 * s2];
    expect(maxAbsDiff(values(out), expected)).toBeLessThan(1e-6);
    tf.dispose([out, tables.cos, tables.sin]);
  });

  it('the causal mask hides exactly the future, also after cached positions', () => {
    const mask = causalMask(2, 1); // queries at positions 1 and 2 over keys 0..2
    expect(values(mask)).toEqual([0, 0, -1e9, 0, 0, 0]);
    mask.dispose();
  });
});

describeBackends('Mixtral forward pass', () => {
  it('equals the PyTorch reference of Hugging Face’s Mixtral on a checkpoint exported from PyTorch', async () => {
    const checkpoint = await loadCheckpointDir(FIXTURE);
    const expected = JSON.parse(readFileSync(`${FIXTURE}/expected.json`, 'utf8')) as {
      ids: number[][];
      logits: number[][][];
      hidden: number[][][][];
      routerLogits: number[][][][];
    };
    const model = mixtralFromTensors(checkpoint.config, checkpoint.tensors);
    const input = ids(expected.ids);
    const { logits, trace } = mixtralForward(model, input, { trace: true });
    // Stage by stage, so a mismatch names the first layer (and the part of it) that went wrong.
    expect(trace).toHaveLength(expected.hidden.length);
    trace!.forEach((layer, i) => {
      expect(
        maxAbsDiff(values(layer.routerLogits), expected.routerLogits[i]!.flat(2)),
        `layer ${i} router logits`,
      ).toBeLessThan(1e-4);
      expect(maxAbsDiff(values(layer.hidden), expected.hidden[i]!.flat(2)), `layer ${i} output`).toBeLessThan(1e-4);
    });
    expect(logits.shape).toEqual([2, 10, 61]);
    expect(maxAbsDiff(values(logits), expected.logits.flat(2))).toBeLessThan(2e-4);
    tf.dispose([logits, input, ...trace!.flatMap((t) => [t.hidden, t.routerLogits])]);
    disposeModel(model);
  });

  it('gives the same logits and routing awaiting its reads (the WebGPU path) as reading synchronously', async () => {
    const model = initMixtral(tinyConfig({ initializer_range: 0.3 }), 4);
    const input = ids([[2, 7, 1, 8, 2, 8]]);
    const sync = mixtralForward(model, input, { stats: true });
    const later = await mixtralForwardAsync(model, input, { stats: true });
    expect(maxAbsDiff(values(sync.logits), values(later.logits))).toBe(0);
    expect(later.routing![1]!.expertIndex).toEqual(sync.routing![1]!.expertIndex);
    expect(maxAbsDiff(later.routing![0]!.gateWeights, sync.routing![0]!.gateWeights)).toBe(0);
    tf.dispose([sync.logits, later.logits, input]);
    disposeModel(model);
  });

  it('is causal: changing a later token leaves earlier logits unchanged', () => {
    const model = initMixtral(tinyConfig({ initializer_range: 0.3 }), 7);
    const a = mixtralForward(model, ids([[1, 2, 3, 4, 5]])).logits;
    const b = mixtralForward(model, ids([[1, 2, 3, 9, 5]])).logits;
    const early = (t: tf.Tensor3D) => values(tf.slice(t, [0, 0, 0], [1, 3, 40]));
    expect(maxAbsDiff(early(a), early(b))).toBe(0);
    expect(maxAbsDiff(values(a), values(b))).toBeGreaterThan(1e-3);
    tf.dispose([a, b]);
    disposeModel(model);
  });

  it('gives the same logits token by token with the KV cache as in one pass', () => {
    const model = initMixtral(tinyConfig({ initializer_range: 0.3 }), 3);
    const tokens = [[4, 8, 15, 16, 23, 42 % 40]];
    const full = mixtralForward(model, ids(tokens)).logits;
    const cache = emptyCache(model.config);
    const steps = [tokens[0]!.slice(0, 3), [tokens[0]![3]!], [tokens[0]![4]!], [tokens[0]![5]!]];
    const last = steps.map((step) => mixtralForward(model, ids([step]), { cache }).logits).at(-1)!;
    expect(cache.length).toBe(6);
    const fullLast = values(tf.slice(full, [0, 5, 0], [1, 1, 40]));
    expect(maxAbsDiff(values(last), fullLast)).toBeLessThan(1e-5);
    disposeCache(cache);
    disposeModel(model);
  });

  it('routes to K experts per token, and K can be changed at inference time', () => {
    const model = initMixtral(tinyConfig(), 1);
    for (const topK of [1, 2, 4]) {
      const { logits, routing } = mixtralForward(model, ids([[1, 2, 3]]), { stats: true, topK });
      expect(routing).toHaveLength(2);
      expect(routing![0]!.expertIndex).toHaveLength(3 * topK);
      expect(Array.from(routing![1]!.expertTokens).reduce((a, b) => a + b, 0)).toBe(3 * topK);
      logits.dispose();
    }
    expect(() => mixtralForward(model, ids([[1, 2]]), { topK: 5 })).toThrow(/between 1 and/);
    disposeModel(model);
  });

  it('round-trips its weights through host tensors', () => {
    const model = initMixtral(tinyConfig({ tie_word_embeddings: true }), 5);
    const copy = mixtralFromTensors(model.config, mixtralToTensors(model));
    const input = ids([[3, 1, 4, 1, 5]]);
    const a = mixtralForward(model, input).logits;
    const b = mixtralForward(copy, input).logits;
    expect(maxAbsDiff(values(a), values(b))).toBe(0);
    expect(copy.weights.has('lm_head.weight')).toBe(false);
    tf.dispose([a, b, input]);
    disposeModel(model);
    disposeModel(copy);
  });

  it('rejects ids outside the vocabulary and a context longer than the model allows', () => {
    const model = initMixtral(tinyConfig(), 1);
    expect(() => mixtralForward(model, ids([[1, 40]]))).toThrow('Token id 40 is outside the vocabulary (0 … 39).');
    const tooLong = ids([Array.from({ length: 33 }, () => 1)]);
    expect(() => mixtralForward(model, tooLong, { cache: emptyCache(model.config) })).toThrow(/at most 32/);
    tooLong.dispose();
    disposeModel(model);
  });

  it('leaves no tensors behind after 20 forward+backward passes', () => {
    const model = initMixtral(tinyConfig({ router_aux_loss_coef: 0.02, router_z_loss_coef: 0.001 }), 2);
    const input = ids([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    const step = () => {
      const { value, grads } = tf.variableGrads(() => {
        const { logits, auxLoss } = mixtralForward(model, input, { training: true });
        expect(auxLoss).not.toBeNull();
        return tf.add(tf.mean(logits), auxLoss!) as tf.Scalar;
      });
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
    disposeModel(model);
  });
});
