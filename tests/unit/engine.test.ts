// The engine behind the lesson-3 widget, driven as the worker drives it (no browser): route, generate,
// held-out loss, FLOPs and KV-cache bytes, each checked against a number worked out independently.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine, type RequestContext } from '../../models/engine/engine.ts';
import { Lab } from '../../models/lab.ts';
import type { GeneratedTokenMessage, ModelInfo } from '../../models/engine/protocol.ts';
import { setupNodeBackend } from '../../models/node/backend-node.ts';

const DIR = 'models/checkpoints/e8-top2';
const FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'manifest.json'];
// e8-top2: d 64, h 128, 2 layers, 4 heads of 16 (2 key/value heads), vocabulary 1,024, 8 experts.
const D = 64;
const LAYERS = 2;
/** Weights one token multiplies by at K (embedding lookup excluded), counted by hand from the sizes above. */
function usedWeights(k: number): number {
  const attention = D * D + 2 * (2 * 16) * D + D * D; // q, k, v, o
  const perLayer = attention + 2 * D + 8 * D + k * 3 * D * 128; // + norms, router, K experts
  return LAYERS * perLayer + D + 1024 * D; // + final norm, LM head
}

function context(cancelAfter = Infinity): RequestContext & { tokens: GeneratedTokenMessage[] } {
  const tokens: GeneratedTokenMessage[] = [];
  return {
    tokens,
    progress: () => undefined,
    token: (t) => tokens.push(t),
    benchRow: () => undefined,
    cancelled: () => tokens.length >= cancelAfter,
  };
}

describe('engine (wasm, in Node)', () => {
  const engine = new Engine({
    inWorker: false,
    fetchFile: async (path) => ({ body: new Uint8Array(readFileSync(path)), fromCache: false }),
  });
  let info: ModelInfo;

  beforeAll(async () => {
    tf.env().set('IS_TEST', true);
    await setupNodeBackend('wasm');
    await engine.init('wasm');
    const files = Object.fromEntries(FILES.map((name) => [name, join(DIR, name)]));
    info = await engine.load({ id: 'e8-top2', files }, context());
  }, 60_000);

  it('describes what it loaded', () => {
    expect(info).toMatchObject({ numExperts: 8, trainedTopK: 2, numLayers: 2, contextSize: 64, backend: 'wasm' });
    expect(info.activeParams).toBe(usedWeights(2) + 1024 * D);
    expect(info.notes[0]).toMatch(/match manifest\.json/);
  });

  it('routes every token to K experts per layer, with FLOPs per token from the parameter count', async () => {
    for (const k of [1, 2, 8]) {
      const r = await engine.route('The jury said', k);
      const t = r.tokens.length;
      expect(r.tokens.map((x) => x.text).join('')).toBe('<|endoftext|>The jury said');
      expect(r.layers).toHaveLength(LAYERS);
      for (const layer of r.layers) {
        expect(layer.expertIndex).toHaveLength(t * k);
        expect(layer.probs).toHaveLength(t * 8);
        expect(layer.expertTokens.reduce((a, b) => a + b, 0)).toBe(t * k);
        // Each token's gate weights are its chosen probabilities renormalised (Mixtral): they sum to 1.
        for (let i = 0; i < t; i++) {
          const sum = layer.gateWeights.slice(i * k, (i + 1) * k).reduce((a, b) => a + b, 0);
          expect(sum).toBeCloseTo(1, 5);
        }
      }
      // Kaplan et al. 2020: 2 × weights used + 2 × layers × context × attention width (4 heads × 16).
      expect(r.flopsPerToken).toBe(2 * usedWeights(k) + 2 * LAYERS * t * 64);
    }
  });

  it('refuses a K outside 1 … N with the one wording', async () => {
    await expect(engine.route('x', 9)).rejects.toThrow(
      'K must be a whole number between 1 and the number of experts (8); got 9.',
    );
  });

  it('streams generated tokens, never the stop token, and reports the KV cache it held', async () => {
    const before = tf.memory().numTensors;
    const ctx = context();
    const prompt = 'The jury said';
    const result = await engine.generate({ prompt, topK: 2, temperature: 0, topP: 1, seed: 0, maxNewTokens: 10 }, ctx);
    expect(result.tokens).toBe(ctx.tokens.length);
    expect(result.tokens).toBeGreaterThan(0);
    expect(ctx.tokens.every((t) => t.token.text !== '<|endoftext|>')).toBe(true);
    expect(result.text).toBe(ctx.tokens.at(-1)!.text);
    expect(ctx.tokens.map((t) => t.token.text).join('')).toBe(result.text);
    // The cache holds the prompt (with its end-of-text prefix) and every token fed back: all but the last.
    const promptTokens = (await engine.route(prompt, 2)).tokens.length;
    const positions = promptTokens + result.tokens - 1;
    expect(result.memory.kvCacheBytes).toBe(2 * LAYERS * 2 * 16 * positions * 4); // K and V, 2 kv heads × 16, fp32
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops generating when the page cancels', async () => {
    const ctx = context(3);
    const result = await engine.generate(
      { prompt: 'The', topK: 2, temperature: 1, topP: 1, seed: 4, maxNewTokens: 40 },
      ctx,
    );
    expect(result.cancelled).toBe(true);
    expect(result.tokens).toBe(3);
  });

  it('measures held-out loss per K as the mean −log p of each next token', async () => {
    const text = 'The jury further said in term-end presentments that the City Executive Committee';
    const points = await engine.heldOutLoss(text, [1, 2, 8], context());
    expect(points.map((p) => p.topK)).toEqual([1, 2, 8]);
    // Independently: the logits of the whole text at K = 2, log-softmax by hand.
    const ids = (await engine.route(text, 2)).tokens.map((t) => t.id);
    const lab = await Lab.load({ dir: DIR });
    const rows = await lab.logits(ids.slice(0, -1), { k: 2 });
    lab.dispose();
    let nll = 0;
    rows.forEach((row, i) => {
      const max = Math.max(...row);
      const logSum = Math.log(row.reduce((s, z) => s + Math.exp(z - max), 0)) + max;
      nll += logSum - row[ids[i + 1]!]!;
    });
    const two = points.find((p) => p.topK === 2)!;
    expect(two.tokens).toBe(ids.length - 1);
    expect(two.loss).toBeCloseTo(nll / (ids.length - 1), 4);
    expect(two.perplexity).toBeCloseTo(Math.exp(two.loss), 6);
  });
});
