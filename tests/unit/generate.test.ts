// Sampling by hand-checkable cases, generation with the KV cache against full forward passes, and the
// `logits` command against the PyTorch reference fixture.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { parseMixtralConfig } from '../../models/nn/config.ts';
import { seededRandom } from '../../models/random.ts';
import { generateTokens } from '../../models/generation/generate.ts';
import { argmax, sampleToken } from '../../models/generation/sample.ts';
import { disposeModel, initMixtral, mixtralForward } from '../../models/nn/transformer.ts';
import { describeBackends, maxAbsDiff } from './tf-backends.ts';

describe('sampling', () => {
  it('temperature 0 is greedy', () => {
    expect(sampleToken([0.1, 3, 2.9], { temperature: 0, topP: 1 }, Math.random)).toBe(1);
    expect(argmax([1, 5, 5])).toBe(1);
  });

  it('top-p keeps only the nucleus', () => {
    // probabilities ∝ e^z: [0.665, 0.245, 0.090]; top-p 0.6 keeps token 2 alone, 0.8 keeps tokens 2 and 1
    const logits = [0, 1, 2];
    const seen = (topP: number) =>
      new Set(Array.from({ length: 300 }, (_, i) => sampleToken(logits, { temperature: 1, topP }, seededRandom(i))));
    expect(seen(0.6)).toEqual(new Set([2]));
    expect(seen(0.8)).toEqual(new Set([1, 2]));
    expect(seen(1)).toEqual(new Set([0, 1, 2]));
  });

  it('samples in proportion to the softmax at temperature 1', () => {
    const random = seededRandom(42);
    const counts = [0, 0];
    for (let i = 0; i < 4000; i++) counts[sampleToken([0, Math.log(3)], { temperature: 1, topP: 1 }, random)]!++;
    expect(counts[1]! / 4000).toBeCloseTo(0.75, 1);
  });

  it('rejects a bad temperature or top-p with a sentence', () => {
    expect(() => sampleToken([1], { temperature: -1, topP: 1 }, Math.random)).toThrow(
      'temperature must be a number ≥ 0',
    );
    expect(() => sampleToken([1], { temperature: 1, topP: 0 }, Math.random)).toThrow('top-p must be greater than 0');
  });
});

describeBackends('generation', () => {
  const config = parseMixtralConfig({
    model_type: 'mixtral',
    vocab_size: 30,
    hidden_size: 16,
    intermediate_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    num_local_experts: 4,
    num_experts_per_tok: 2,
    max_position_embeddings: 24,
    initializer_range: 0.5,
  });

  async function generate(seed: number, temperature: number) {
    const model = initMixtral(config, 11);
    const out: number[] = [];
    for await (const token of generateTokens(model, [1, 2, 3], { maxNewTokens: 8, temperature, topP: 0.9, seed })) {
      out.push(token.id);
    }
    return { model, out };
  }

  it('greedy generation with the cache equals re-running the whole sequence each step', async () => {
    const { model, out } = await generate(0, 0);
    const sequence = [1, 2, 3];
    for (const expected of out) {
      const ids = tf.tensor2d([sequence], [1, sequence.length], 'int32');
      const { logits } = mixtralForward(model, ids);
      const last = Array.from((await logits.data()).slice((sequence.length - 1) * 30));
      expect(argmax(last)).toBe(expected);
      tf.dispose([ids, logits]);
      sequence.push(expected);
    }
    disposeModel(model);
  });

  it('is reproducible from its seed and frees its cache', async () => {
    const before = tf.memory().numTensors;
    const a = await generate(5, 1);
    const b = await generate(5, 1);
    expect(a.out).toEqual(b.out);
    disposeModel(a.model);
    disposeModel(b.model);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops before a stop id and does not yield it', async () => {
    const { model, out } = await generate(0, 0);
    const stop = out[3]!;
    const stopped: number[] = [];
    for await (const token of generateTokens(model, [1, 2, 3], {
      maxNewTokens: 8,
      temperature: 0,
      topP: 0.9,
      seed: 0,
      stopIds: [stop],
    })) {
      stopped.push(token.id);
    }
    expect(stopped).toEqual(out.slice(0, out.indexOf(stop)));
    disposeModel(model);
  });

  it('refuses to run past the context', async () => {
    const model = initMixtral(config, 1);
    const run = async () => {
      for await (const token of generateTokens(model, [1, 2], { maxNewTokens: 30, temperature: 0, topP: 1, seed: 0 })) {
        void token;
      }
    };
    await expect(run()).rejects.toThrow("exceeds this model's 24-token context");
    disposeModel(model);
  });
});

describe('npm run moe -- logits', () => {
  it('prints the PyTorch reference’s logits for a checkpoint exported from PyTorch', () => {
    const fixture = 'tests/fixtures/tiny-mixtral-torch';
    const expected = JSON.parse(readFileSync(`${fixture}/expected.json`, 'utf8')) as {
      ids: number[][];
      logits: number[][][];
    };
    const ids = expected.ids[1]!;
    const stdout = execFileSync(process.execPath, ['scripts/moe.ts', 'logits', fixture, '--ids', ids.join(',')], {
      encoding: 'utf8',
    });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const { logits } = JSON.parse(lines[0]!) as { logits: number[][] };
    expect(logits).toHaveLength(ids.length);
    expect(maxAbsDiff(logits.flat(), expected.logits[1]!.flat())).toBeLessThan(2e-4);
  });
});
