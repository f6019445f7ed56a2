// The post-Mixtral variants through the engine, as the lesson's widget drives it (wasm, in Node): a race of
// plain top-2 against a variant on the shipped data, the loss falling in both lanes, expert choice reporting
// its tokens with no expert, and the routing view of a trained model showing each variant's signature.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine, type RequestContext } from '../../models/engine/engine.ts';
import type { TrainProgressMessage } from '../../models/engine/protocol.ts';
import { setupNodeBackend } from '../../models/node/backend-node.ts';
import { DEFAULT_TRAIN_RUN } from '../../models/training/train-config.ts';
import { expertChoiceCapacity } from '../../models/moe/expert-choice.ts';
import { checkpointFilesFromZip } from '../../models/checkpoint/checkpoint-zip.ts';
import { Lab } from '../../models/lab.ts';

const DATA = {
  'manifest.json': 'models/data/manifest.json',
  'train.bin': 'models/data/train.bin',
  'validation.bin': 'models/data/validation.bin',
};
const PASSAGE = 'The jury said it did find that the city had been managed well, and the mayor agreed.';

const small = (model: Record<string, unknown>) => ({
  ...DEFAULT_TRAIN_RUN,
  model: { ...DEFAULT_TRAIN_RUN.model, hidden: 16, intermediate: 32, layers: 1, heads: 2, kvHeads: 1, ...model },
  schedule: { ...DEFAULT_TRAIN_RUN.schedule, lr: 1e-2, minLr: 1e-3, warmup: 5 },
  steps: 40,
  batch: 4,
  seqLen: 32,
});

function recorder(messages: TrainProgressMessage[]): RequestContext {
  return {
    progress: () => undefined,
    token: () => undefined,
    benchRow: () => undefined,
    cancelled: () => false,
    paused: () => false,
    trainProgress: (p) => void messages.push(p),
  };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('engine: post-Mixtral variants (wasm, in Node)', () => {
  let engine: Engine;
  beforeAll(async () => {
    tf.env().set('IS_TEST', true);
    await setupNodeBackend('wasm');
    engine = new Engine({
      inWorker: false,
      fetchFile: async (path) => ({ body: new Uint8Array(readFileSync(path)), fromCache: false }),
    });
    await engine.init('wasm');
  }, 60_000);

  it('races top-2 of 8 against shared and expert-choice lanes; routing shows each one’s signature', async () => {
    const messages: TrainProgressMessage[] = [];
    const runs = [
      { id: 'plain', run: small({}) },
      { id: 'shared', run: small({ experts: 7, topK: 1, sharedExperts: 1 }) },
      { id: 'ec', run: small({ router: 'expert-choice' }) },
    ];
    const request = {
      runs,
      data: DATA,
      tokenizer: 'models/checkpoints/tokenizer.json',
      evalEvery: 40,
      evalWindows: 4,
    };
    const result = await engine.handle('train', request, recorder(messages));
    expect(result.error).toBeNull();
    for (const id of ['plain', 'shared', 'ec']) {
      const losses = messages.filter((m) => m.run === id).flatMap((m) => m.losses);
      expect(losses, id).toHaveLength(40);
      expect(mean(losses.slice(-8)), id).toBeLessThan(mean(losses.slice(0, 8)) - 0.3);
    }
    const ec = messages.filter((m) => m.run === 'ec').at(-1)!;
    expect(ec.unroutedTokens).toHaveLength(1);
    // Each of 8 experts takes ⌈32 · 2 / 8⌉ = 8 tokens of each of the 4 sequences.
    expect(ec.expertTokens[0]).toEqual(new Array(8).fill(4 * expertChoiceCapacity(32, 2, 8)));
    expect(messages.filter((m) => m.run === 'plain').every((m) => m.unroutedTokens === undefined)).toBe(true);

    const shared = await engine.handle('routeTrained', { run: 'shared', text: PASSAGE }, recorder([]));
    expect(shared.sharedExperts).toBe(1);
    expect(shared.layers[0]!.experts.every((row) => row.length === 1)).toBe(true);
    const routed = await engine.handle('routeTrained', { run: 'ec', text: PASSAGE }, recorder([]));
    const tokens = routed.tokens.length;
    const c = expertChoiceCapacity(tokens, 2, 8);
    expect(routed.routing).toBe('expert-choice');
    expect(routed.layers[0]!.expertTokens).toEqual(new Array(8).fill(c));
    const perToken = routed.layers[0]!.experts.map((row) => row.length);
    expect(perToken.reduce((a, b) => a + b, 0)).toBe(8 * c);
    expect(perToken.some((n) => n === 0)).toBe(true);
    expect(Math.max(...perToken)).toBeGreaterThan(2);
  }, 180_000);

  it('routes a bias-balanced model with the bias its training learnt', async () => {
    // γ = 1 for 3 steps: biases of whole units, which swamp sigmoid scores in (0, 1), so the choice is the bias's.
    const run = {
      ...small({ scoring: 'sigmoid' }),
      steps: 3,
      schedule: { ...DEFAULT_TRAIN_RUN.schedule, warmup: 1 },
      routing: { ...DEFAULT_TRAIN_RUN.routing, biasUpdateRate: 1 },
    };
    const request = {
      runs: [{ id: 'sig', run }],
      data: DATA,
      tokenizer: 'models/checkpoints/tokenizer.json',
      evalEvery: 3,
      evalWindows: 2,
    };
    const result = await engine.handle('train', request, recorder([]));
    expect(result.error).toBeNull();
    const bias = result.runs[0]!.selectionBias!;
    expect(bias).toHaveLength(1);
    expect(Math.max(...bias[0]!.map(Math.abs))).toBeGreaterThan(0.5);
    const routed = await engine.handle('routeTrained', { run: 'sig', text: PASSAGE }, recorder([]));
    // The same weights from the zip, routed with and without that bias: the view matches "with".
    const lab = await Lab.load(await checkpointFilesFromZip(result.runs[0]!.checkpoint!));
    const ids = lab.encode(PASSAGE);
    const firsts = (layer: { expertIndex: Int32Array }): number[] => ids.map((_, t) => layer.expertIndex[t * 2]!);
    const [withBias] = await lab.routeIds([ids], { selectionBias: bias });
    const [without] = await lab.routeIds([ids]);
    lab.dispose();
    expect(routed.layers[0]!.experts.map((row) => row[0])).toEqual(firsts(withBias!));
    expect(firsts(withBias!)).not.toEqual(firsts(without!));
  }, 60_000);
});
