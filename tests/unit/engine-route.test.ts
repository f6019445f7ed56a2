// The engine's route request on a shipped checkpoint: text longer than the 64-token context is routed in
// sliding windows (models/nn/context-windows.ts), a bounded amount of text is accepted, and no tensor leaks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupNodeBackend } from '../../models/node/backend-node.ts';
import { slidingWindows } from '../../models/nn/context-windows.ts';
import { Engine } from '../../models/engine/engine.ts';
import { MAX_ROUTED_TOKENS } from '../../models/lab.ts';

const DIR = 'models/checkpoints/e8-top2';
const FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'manifest.json'];
const context = { progress: () => {}, token: () => {}, benchRow: () => {}, cancelled: () => false };

describe('sliding windows', () => {
  it('one window when the sequence fits; else half-window steps that report each position once', () => {
    expect(slidingWindows(10, 64)).toEqual([{ start: 0, end: 10, keepFrom: 0 }]);
    expect(slidingWindows(64, 64)).toEqual([{ start: 0, end: 64, keepFrom: 0 }]);
    expect(slidingWindows(130, 64)).toEqual([
      { start: 0, end: 64, keepFrom: 0 },
      { start: 32, end: 96, keepFrom: 64 },
      { start: 64, end: 128, keepFrom: 96 },
      { start: 96, end: 130, keepFrom: 128 },
    ]);
    for (const length of [1, 63, 65, 97, 1000]) {
      const windows = slidingWindows(length, 64);
      const reported = windows.flatMap((w) => Array.from({ length: w.end - w.keepFrom }, (_, i) => w.keepFrom + i));
      expect(reported).toEqual(Array.from({ length }, (_, i) => i));
      // Every reported position after the first window sees at least half a window before it.
      for (const w of windows.slice(1)) expect(w.keepFrom - w.start).toBeGreaterThanOrEqual(32);
    }
  });
});

describe('engine.route', () => {
  let engine: Engine;
  beforeAll(async () => {
    tf.env().set('IS_TEST', true);
    await setupNodeBackend('cpu');
    engine = new Engine({
      inWorker: false,
      fetchFile: async (url) => ({ body: new Uint8Array(readFileSync(url)), fromCache: false }),
    });
    await engine.init('cpu');
    await engine.load({ id: 'e8-top2', files: Object.fromEntries(FILES.map((f) => [f, join(DIR, f)])) }, context);
  });

  it('routes text longer than the context, every token once, and the first window as alone', async () => {
    const short = 'The jury said it did find that the city.';
    const long = `${short} ${'The grand jury commented on a number of other topics. '.repeat(20)}`;
    const before = tf.memory().numTensors;
    const a = await engine.route(short, 2);
    const b = await engine.route(long, 2);
    expect(tf.memory().numTensors).toBe(before);
    expect(b.tokens.length).toBeGreaterThan(150);
    for (const layer of b.layers) {
      expect(layer.expertIndex).toHaveLength(b.tokens.length * 2);
      expect(layer.probs).toHaveLength(b.tokens.length * 8);
      expect(layer.expertTokens.reduce((x, y) => x + y, 0)).toBe(b.tokens.length * 2);
    }
    // Attention is causal, so the first tokens route the same whether or not more text follows.
    expect(b.tokens.slice(0, a.tokens.length)).toEqual(a.tokens);
    a.layers.forEach((layer, l) => {
      expect(b.layers[l]!.expertIndex.slice(0, layer.expertIndex.length)).toEqual(layer.expertIndex);
    });
  });

  it('refuses more than a bounded amount of text with a sentence', async () => {
    await expect(engine.route('word '.repeat(MAX_ROUTED_TOKENS * 2), 2)).rejects.toThrow(
      /tokens long; at most 1,023 tokens are routed at a time\. Shorten it\./,
    );
  });
});
