// Capacity at inference (lesson 6's second view): Lab.route and Lab.heldOutLoss with a capacity factor drop
// exactly the choices a hand count of GShard's rule drops (first choices before second, earlier tokens
// before later, at most ⌈factor · tokens · K / N⌉ per expert), the engine passes the factor through, and a
// generous factor changes nothing.
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../models/index.ts';
import { Engine } from '../../models/engine/engine.ts';

const CHECKPOINT = 'models/checkpoints/e8-top2';
/** One context (64 tokens or fewer), so one window: capacity counts over the whole passage. */
const PASSAGE =
  'The jury said it did find that many of the voters were not informed of the election, and the city was asked to pay.';

/** GShard's rule counted by hand: which slots (t·k + j) overflow, and rows per expert. */
function handCount(expertIndex: ArrayLike<number>, k: number, n: number, factor: number) {
  const tokens = expertIndex.length / k;
  const capacity = Math.ceil((factor * tokens * k) / n);
  const load = new Array<number>(n).fill(0);
  const dropped = new Array<number>(expertIndex.length).fill(0);
  for (let j = 0; j < k; j++) {
    for (let t = 0; t < tokens; t++) {
      const e = expertIndex[t * k + j]!;
      if (load[e]! < capacity) load[e]!++;
      else dropped[t * k + j] = 1;
    }
  }
  return { capacity, load, dropped };
}

describe('capacity factor at inference', () => {
  let lab: Lab;
  beforeAll(async () => {
    tf.env().set('IS_TEST', true);
    lab = await Lab.load({ dir: CHECKPOINT }, { backend: 'wasm' });
  });

  it('drops exactly the hand-counted choices in every layer, and none without a factor', async () => {
    const before = tf.memory().numTensors;
    const free = await lab.route(PASSAGE);
    const tokens = free.tokens.length;
    expect(tokens).toBeLessThanOrEqual(lab.config.max_position_embeddings);
    free.layers.forEach((layer) => expect(layer.dropped.every((d) => d === 0)).toBe(true));
    for (const factor of [1, 1.25, 2]) {
      const routed = await lab.route(PASSAGE, { capacityFactor: factor });
      let total = 0;
      routed.layers.forEach((layer) => {
        const hand = handCount(layer.expertIndex, 2, 8, factor);
        expect(Array.from(layer.dropped)).toEqual(hand.dropped);
        expect(Array.from(layer.expertTokens)).toEqual(hand.load);
        total += hand.dropped.reduce((a, b) => a + b, 0);
      });
      // Layer 1 sees the same input either way, so it chooses as the dropless pass did.
      expect(Array.from(routed.layers[0]!.expertIndex)).toEqual(Array.from(free.layers[0]!.expertIndex));
      if (factor === 1) expect(total).toBeGreaterThan(0); // a trained router is never perfectly even
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('changes the loss when it drops, and not when the factor leaves room for every choice', async () => {
    const [free] = await lab.heldOutLoss(PASSAGE, [2]);
    const [tight] = await lab.heldOutLoss(PASSAGE, [2], { capacityFactor: 1 });
    // Factor N / K: capacity = every token, so no expert can overflow.
    const [roomy] = await lab.heldOutLoss(PASSAGE, [2], { capacityFactor: 4 });
    expect(roomy!.loss).toBe(free!.loss);
    expect(tight!.loss).not.toBe(free!.loss);
  });

  it('refuses a factor that is not a positive number, with a sentence', async () => {
    await expect(lab.route(PASSAGE, { capacityFactor: 0 })).rejects.toThrow(/capacity factor must be a number above 0/);
    await expect(lab.heldOutLoss(PASSAGE, [2], { capacityFactor: Number.NaN })).rejects.toThrow(/capacity factor/);
  });

  it('passes through the engine: route reports the dropped choices, heldOutLoss the loss with them', async () => {
    const engine = new Engine({
      inWorker: false,
      fetchFile: async (path) => ({ body: new Uint8Array(readFileSync(path)), fromCache: false }),
    });
    await engine.init('wasm');
    const files = Object.fromEntries(
      ['config.json', 'model.safetensors', 'tokenizer.json', 'manifest.json'].map((f) => [f, `${CHECKPOINT}/${f}`]),
    );
    const context = {
      progress: () => undefined,
      token: () => undefined,
      benchRow: () => undefined,
      trainProgress: () => undefined,
      cancelled: () => false,
      paused: () => false,
    };
    await engine.handle('load', { checkpoint: { id: 'e8-top2', files } }, context);
    const routed = await engine.handle('route', { text: PASSAGE, topK: 2, capacityFactor: 1 }, context);
    const direct = await lab.route(PASSAGE, { capacityFactor: 1 });
    expect(routed.layers.map((l) => l.dropped)).toEqual(direct.layers.map((l) => Array.from(l.dropped)));
    const [point] = await engine.handle('heldOutLoss', { text: PASSAGE, topKs: [2], capacityFactor: 1 }, context);
    const [expected] = await lab.heldOutLoss(PASSAGE, [2], { capacityFactor: 1 });
    expect(point!.loss).toBeCloseTo(expected!.loss, 6);
  });
});
