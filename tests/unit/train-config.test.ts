// The training-run config: its fresh models are the ones `npm run moe -- train` built for the shipped
// checkpoints, its memory estimate matches tfjs's measured peak, and bad input gets sentences, never a throw.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { randomBatch } from '../../models/text/batches.ts';
import { parseMixtralConfig } from '../../models/nn/config.ts';
import { seededRandom } from '../../models/random.ts';
import { AdamW } from '../../models/training/optim.ts';
import { encodeTokenData, parseTokenDataManifest } from '../../models/text/token-data.ts';
import {
  DEFAULT_TRAIN_RUN,
  validateTrainRun,
  type TrainRun,
  type TrainRunContext,
} from '../../models/training/train-config.ts';
import { trainStep } from '../../models/training/train.ts';
import { disposeModel, initMixtral } from '../../models/nn/transformer.ts';
import { describeBackends } from './tf-backends.ts';

const CONTEXT: TrainRunContext = { vocabSize: 1024, endOfTextId: 0 };
const shippedConfig = (name: string): unknown =>
  JSON.parse(readFileSync(`models/checkpoints/${name}/config.json`, 'utf8'));

/** The default run with some settings changed (nested objects merged one level deep). */
function run(change: Record<string, unknown> = {}): Record<string, unknown> {
  const base = structuredClone(DEFAULT_TRAIN_RUN) as unknown as Record<string, Record<string, unknown>>;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(change)) {
    out[key] =
      typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...base[key], ...value } : value;
  }
  return out;
}
const errorsOf = (input: unknown, context = CONTEXT): string[] => {
  const v = validateTrainRun(input, context);
  return v.ok ? [] : v.errors;
};

it('builds the config.json the train command wrote for dense, e8-top2 and e8-top1', () => {
  const recipes: Record<string, Record<string, unknown>> = {
    'e8-top2': {},
    'e8-top1': { model: { topK: 1 } },
    dense: { model: { experts: 1, topK: 1, intermediate: 256 }, routing: { auxLossCoef: 0, zLossCoef: 0 } },
  };
  for (const [name, change] of Object.entries(recipes)) {
    const v = validateTrainRun(run(change), CONTEXT);
    if (!v.ok) throw new Error(v.errors.join(' '));
    expect(v.modelConfig).toEqual(parseMixtralConfig(shippedConfig(name)));
  }
});

it('starts from a checkpoint with its sizes and the run’s loss coefficients', () => {
  const input = run({ model: { from: 'checkpoint', checkpoint: 'e8-top2' }, routing: { auxLossCoef: 0.05 } });
  const v = validateTrainRun(input, { ...CONTEXT, checkpointConfig: shippedConfig('e8-top2') });
  if (!v.ok) throw new Error(v.errors.join(' '));
  expect(v.modelConfig.num_local_experts).toBe(8);
  expect(v.modelConfig.router_aux_loss_coef).toBe(0.05);
  expect(errorsOf(input)).toEqual(['The config.json of checkpoint e8-top2 is needed to check this run.']);
  const long = validateTrainRun({ ...input, seqLen: 128 }, { ...CONTEXT, checkpointConfig: shippedConfig('e8-top2') });
  expect(long.ok ? [] : long.errors).toEqual([
    "The sequence length (128) must not exceed the checkpoint's max_position_embeddings (64).",
  ]);
});

describeBackends('the memory estimate', () => {
  it('is within 0.9–1.3× of the peak tfjs measures during a training step, and nothing leaks', async () => {
    const cases: Record<string, unknown>[] = [
      { model: { experts: 1, topK: 1, intermediate: 256 }, batch: 4, seqLen: 64 },
      { model: { experts: 8, topK: 2 }, batch: 2, seqLen: 128 },
      {
        model: { experts: 6, topK: 3, hidden: 96, heads: 6, kvHeads: 3, layers: 3, intermediate: 40 },
        batch: 8,
        seqLen: 16,
      },
    ];
    const stream = Int32Array.from({ length: 20_000 }, (_, i) => (i * 7919) % CONTEXT.vocabSize);
    for (const change of cases) {
      const v = validateTrainRun(run(change), CONTEXT);
      if (!v.ok) throw new Error(v.errors.join(' '));
      const before = tf.memory().numTensors;
      const model = initMixtral(v.modelConfig, 1);
      const optimizer = new AdamW(model.weights);
      const batch = randomBatch(stream, 0, { batchSize: v.run.batch, seqLen: v.run.seqLen, seed: 1 });
      trainStep(model, optimizer, batch, { lr: 1e-3, clip: 1 }); // AdamW allocates its moments on the first step
      const profile = await tf.profile(() => {
        trainStep(model, optimizer, batch, { lr: 1e-3, clip: 1 });
        return [];
      });
      optimizer.dispose();
      disposeModel(model);
      expect(tf.memory().numTensors).toBe(before);
      const ratio = v.memory.total / profile.peakBytes;
      expect(ratio, JSON.stringify(change)).toBeGreaterThanOrEqual(0.9);
      expect(ratio, JSON.stringify(change)).toBeLessThanOrEqual(1.3);
    }
  }, 180_000);
});

it('refuses a run that would not fit, before anything is allocated', () => {
  const big = errorsOf(run({ model: { hidden: 1024, intermediate: 4096, layers: 8 }, batch: 64, seqLen: 512 }));
  expect(big).toHaveLength(1);
  expect(big[0]).toMatch(
    /^This run would need about [\d.]+ [kMGT]?B \(weights [\d.]+ [kMGT]?B, gradients [\d.]+ [kMGT]?B, AdamW state [\d.]+ [kMGT]?B, activations [\d.]+ [kMGT]?B\), more than the 1 GB allowed; use a smaller batch, sequence length or model\.$/,
  );
  expect(errorsOf(run(), { ...CONTEXT, memoryBudgetBytes: 2 ** 20 })[0]).toMatch(/more than the 1.05 MB allowed/);
});

it('says what is wrong with impossible settings, one sentence each', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ model: { experts: 8, topK: 9 } }, 'K must be a whole number between 1 and the number of experts (8); got 9.'],
    [{ model: { experts: 0 } }, 'The number of experts N must be from 1 to 64; got 0.'],
    [{ model: { hidden: -64 } }, 'The hidden size d must be from 1 to 2048; got -64.'],
    [
      { model: { intermediate: 2.5 } },
      "Each expert's intermediate size h must be a whole number from 1 to 8192; got 2.5.",
    ],
    [{ model: { hidden: 64000 } }, 'The hidden size d must be from 1 to 2048; got 64000.'],
    [{ model: { layers: '2' } }, 'The number of layers must be a whole number from 1 to 32; got "2".'],
    [{ batch: Number.NaN }, 'The batch size must be a whole number from 1 to 512; got NaN.'],
    [{ seqLen: Infinity }, 'The sequence length must be a whole number from 1 to 2048; got Infinity.'],
    [{ steps: undefined }, 'The number of steps must be a whole number from 1 to 100000; got nothing.'],
    [{ schedule: { lr: 0 } }, 'The learning rate must be above 0 and at most 1; got 0.'],
    [{ schedule: { minLr: 0.01 } }, 'The final learning rate (0.01) must not exceed the peak learning rate (0.003).'],
    [{ steps: 50 }, 'The warm-up (100 steps) must not be longer than the run (50 steps).'],
    [{ routing: { capacityFactor: 0 } }, 'The capacity factor (or none) must be above 0 and at most 16; got 0.'],
    [
      { model: { experts: 1, topK: 1 }, routing: { biasUpdateRate: 0.001 } },
      'Bias balancing spreads tokens over experts, so it needs at least 2 experts; turn it off for a dense model.',
    ],
    [
      { data: { genres: ['k', 'z'] } },
      'Unknown genre z; the Brown Corpus genres are a, b, c, d, e, f, g, h, j, k, l, m, n, p, r.',
    ],
    [
      { data: { genres: [] } },
      'The genres must be a list of at least one Brown Corpus genre (a, b, c, d, e, f, g, h, j, k, l, m, n, p, r), or none for all.',
    ],
    [{ model: { from: 'scratch' } }, 'model.from must be "fresh" or "checkpoint"; got "scratch".'],
    [
      { model: { heads: 4, kvHeads: 3 } },
      'config.json: num_attention_heads (4) must be a multiple of num_key_value_heads (3), so that each K/V head serves the same number of query heads.',
    ],
  ];
  for (const [change, sentence] of cases) expect(errorsOf(run(change)), JSON.stringify(change)).toEqual([sentence]);
  expect(errorsOf(null)).toEqual(['A training run must be an object of settings; got null.']);
  // Several problems at once are all reported.
  expect(errorsOf(run({ batch: 0, seqLen: 0, model: { experts: 2, topK: 3 } }))).toHaveLength(3);
});

it('checks that the chosen genres hold one window', async () => {
  const docs = [
    { id: 'ca01', genre: 'a', ids: [5, 6, 7] },
    { id: 'ck01', genre: 'k', ids: Array.from({ length: 200 }, (_, i) => 1 + (i % 9)) },
  ];
  const { files } = await encodeTokenData({
    tokenizer: { sha256: 'f'.repeat(64), vocabSize: 16, endOfTextId: 0 },
    source: 'test',
    splits: { train: docs, validation: docs },
  });
  const data = parseTokenDataManifest(files.get('manifest.json'));
  const context = { ...CONTEXT, data };
  expect(errorsOf(run({ data: { genres: ['a'] } }), context)).toEqual([
    'The chosen genres hold 4 training tokens, fewer than one window of 65; add genres or shorten the sequence.',
  ]);
  expect(errorsOf(run({ data: { genres: ['k'] } }), context)).toEqual([]);
});

it('never throws and always explains, for any damaged field (property)', () => {
  const random = seededRandom(11);
  const bad: unknown[] = [0, -1, 2.5, Number.NaN, Infinity, -Infinity, '8', null, undefined, 1e9, [], {}, true];
  const paths: [string, string | null][] = [
    ['steps', null],
    ['batch', null],
    ['seqLen', null],
    ['seed', null],
    ...['experts', 'topK', 'hidden', 'intermediate', 'layers', 'heads', 'kvHeads'].map(
      (k) => ['model', k] as [string, string],
    ),
    ...['lr', 'warmup', 'weightDecay', 'beta2', 'clip'].map((k) => ['schedule', k] as [string, string]),
    ...['auxLossCoef', 'zLossCoef'].map((k) => ['routing', k] as [string, string]),
  ];
  for (let trial = 0; trial < 400; trial++) {
    const input = structuredClone(DEFAULT_TRAIN_RUN) as unknown as Record<string, Record<string, unknown>>;
    const [outer, inner] = paths[Math.floor(random() * paths.length)]!;
    const value = bad[Math.floor(random() * bad.length)];
    if (inner === null) (input as Record<string, unknown>)[outer] = value;
    else input[outer]![inner] = value;
    // 0 is a valid seed, warm-up, clip or coefficient; 1e9 a valid seed… only values that break a rule must fail.
    const v = validateTrainRun(input, CONTEXT);
    if (v.ok) {
      expect(typeof value === 'number' && Number.isFinite(value), `${outer}.${inner} = ${String(value)}`).toBe(true);
      continue;
    }
    for (const sentence of v.errors) expect(sentence).toMatch(/^[A-Z"].*[.)]$/);
  }
});

it('accepts random valid small runs, and its estimate grows with the batch (property)', () => {
  const random = seededRandom(5);
  const pick = (n: number): number => 1 + Math.floor(random() * n);
  for (let trial = 0; trial < 100; trial++) {
    const experts = pick(16);
    const kvHeads = pick(4);
    const heads = kvHeads * pick(4);
    const input: TrainRun = {
      ...DEFAULT_TRAIN_RUN,
      model: {
        from: 'fresh',
        experts,
        topK: pick(experts),
        hidden: heads * 2 * pick(8),
        intermediate: pick(256),
        layers: pick(4),
        heads,
        kvHeads,
        tieEmbeddings: random() < 0.5,
      },
      batch: pick(32),
      seqLen: pick(128),
      steps: 100 + pick(1000),
    };
    // Valid settings are refused only for memory (K = N = 12 with h = 189 can need a gigabyte of activations).
    const bounded = validateTrainRun(input, CONTEXT);
    if (!bounded.ok) expect(bounded.errors).toEqual([expect.stringMatching(/^This run would need about/)]);
    const v = validateTrainRun(input, { ...CONTEXT, memoryBudgetBytes: Infinity });
    if (!v.ok) throw new Error(`${JSON.stringify(input.model)}: ${v.errors.join(' ')}`);
    const doubled = validateTrainRun({ ...input, batch: input.batch * 2 }, { ...CONTEXT, memoryBudgetBytes: Infinity });
    if (!doubled.ok) throw new Error(doubled.errors.join(' '));
    expect(doubled.memory.activations).toBeGreaterThan(v.memory.activations);
    expect(doubled.memory.weights).toBe(v.memory.weights);
  }
});
