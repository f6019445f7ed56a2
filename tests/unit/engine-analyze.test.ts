// The engine's analyzeRouting request and a fine-tuning run from a shipped checkpoint, driven as the worker
// drives them (wasm, in Node): the analysis of the shipped test data equals the CLI's path from the corpus
// for the same windows, streams progress, stops on cancel with what it measured; a fine-tune on a slice of
// one genre, validated on that genre, with only attention and router trained, leaves the experts untouched
// in its exported zip.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine, type RequestContext } from '../../models/engine/engine.ts';
import { Lab } from '../../models/lab.ts';
import { checkpointFilesFromZip } from '../../models/checkpoint/checkpoint-zip.ts';
import { setupNodeBackend } from '../../models/node/backend-node.ts';
import { documentWindows } from '../../models/moe/analyze-windows.ts';
import { DEFAULT_TRAIN_RUN } from '../../models/training/train-config.ts';
import { corpusAnalysisDocuments } from '../../scripts/commands/analyze.ts';
import { loadTokenizedSplits, loadTokenizer } from '../../scripts/training-data.ts';

const TEST_DATA = {
  'test.json': 'models/data/test.json',
  'test.bin': 'models/data/test.bin',
  'test-pos.bin': 'models/data/test-pos.bin',
};
const checkpoint = (id: string) => ({
  id,
  files: Object.fromEntries(
    ['config.json', 'model.safetensors', 'tokenizer.json', 'manifest.json'].map((f) => [
      f,
      `models/checkpoints/${id}/${f}`,
    ]),
  ),
});

function context(over: Partial<RequestContext> = {}): RequestContext {
  return {
    progress: () => undefined,
    token: () => undefined,
    benchRow: () => undefined,
    cancelled: () => false,
    ...over,
  };
}

describe('engine analyzeRouting and fine-tuning (wasm, in Node)', () => {
  let engine: Engine;
  beforeAll(async () => {
    tf.env().set('IS_TEST', true);
    await setupNodeBackend('wasm');
    engine = new Engine({
      inWorker: false,
      fetchFile: async (path) => ({ body: new Uint8Array(readFileSync(path)), fromCache: false }),
    });
    await engine.init('wasm');
    await engine.load(checkpoint('e8-top2'), context());
  }, 60_000);

  it('gives the CLI’s analysis of the same windows, with progress', async () => {
    const done: number[] = [];
    const tensors = tf.memory().numTensors;
    const result = await engine.handle(
      'analyzeRouting',
      { data: TEST_DATA, topK: 2, windowsPerDoc: 1 },
      context({ analyzeProgress: (d) => done.push(d) }),
    );
    expect(tf.memory().numTensors).toBe(tensors);
    expect(result).toMatchObject({ checkpoint: 'e8-top2', windows: 52, totalWindows: 52, seq: 64, cancelled: false });
    expect(done.at(-1)).toBe(52);
    const lab = await Lab.load({ dir: 'models/checkpoints/e8-top2' });
    const split = loadTokenizedSplits(loadTokenizer(), ['test']).test!;
    const cli = await lab.analyzeRouting(documentWindows(corpusAnalysisDocuments(split), 64, 1), { k: 2 });
    lab.dispose();
    expect(result.analysis).toEqual(cli.analysis);
    expect(result.analysis.expertEnrichment[0]!.some((e) => e.tokenIds.length > 0)).toBe(true);
  });

  it('stops between batches when cancelled and reports what it measured; refuses a bad window count', async () => {
    let batches = 0;
    const result = await engine.handle(
      'analyzeRouting',
      { data: TEST_DATA, topK: 1, windowsPerDoc: 2, batch: 8 },
      context({ analyzeProgress: () => void batches++, cancelled: () => batches >= 2 }),
    );
    expect(result).toMatchObject({ cancelled: true, windows: 16, totalWindows: 104 });
    expect(result.analysis.tokens).toBe(16 * 64);
    await expect(
      engine.handle('analyzeRouting', { data: TEST_DATA, topK: 2, windowsPerDoc: -1 }, context()),
    ).rejects.toThrow('Windows per document must be a whole number from 0 (all) to 1000; got -1.');
  });

  it('fine-tunes a checkpoint on a slice of one genre with the experts frozen, and exports it', async () => {
    const run = {
      ...DEFAULT_TRAIN_RUN,
      model: { from: 'checkpoint', checkpoint: 'e8-top2' },
      schedule: { ...DEFAULT_TRAIN_RUN.schedule, lr: 1e-3, minLr: 1e-4, warmup: 0 },
      steps: 4,
      batch: 4,
      trainable: 'attention-router',
      data: { genres: ['r'], maxTokens: 2000, validateOnGenres: true },
    };
    const result = await engine.handle(
      'train',
      {
        runs: [{ id: 'ft', run, checkpoint: checkpoint('e8-top2') }],
        data: {
          'manifest.json': 'models/data/manifest.json',
          'train.bin': 'models/data/train.bin',
          'validation.bin': 'models/data/validation.bin',
        },
        tokenizer: 'models/checkpoints/tokenizer.json',
        evalEvery: 2,
        evalWindows: 4,
      },
      context({ trainProgress: () => undefined, paused: () => false }),
    );
    expect(result.error).toBeNull();
    const tuned = await Lab.load(await checkpointFilesFromZip(result.runs[0]!.checkpoint!));
    const base = await Lab.load({ dir: 'models/checkpoints/e8-top2' });
    const a = tuned.tensors();
    const b = base.tensors();
    const same = (name: string) => Array.from(a.get(name)!.data).every((x, i) => x === b.get(name)!.data[i]);
    expect(same('model.layers.0.block_sparse_moe.experts.3.w1.weight')).toBe(true);
    expect(same('lm_head.weight')).toBe(true);
    expect(same('model.layers.0.self_attn.q_proj.weight')).toBe(false);
    tuned.dispose();
    base.dispose();
  });
});
