// The post-Mixtral variants in whole models: config.json fields and their round trip, Hugging Face tensor
// names, a Mixtral config that behaves exactly as before, checkpoint save → load, training runs that
// validate with sentences and lower the loss, and the parameter counter.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { Lab } from '../../models/lab.ts';
import { mixtralTensorSpecs, parseMixtralConfig } from '../../models/nn/config.ts';
import { moeConfigOf } from '../../models/nn/transformer.ts';
import { countParameters } from '../../models/accounting/params.ts';
import { DEFAULT_TRAIN_RUN, freshConfig, validateTrainRun } from '../../models/training/train-config.ts';
import { fineGrained } from '../../models/moe/fine-grained.ts';
import { TINY_MIXTRAL } from './tiny-mixtral.ts';

const tokenizer: unknown = JSON.parse(readFileSync('models/checkpoints/tokenizer.json', 'utf8'));
const CONTEXT = { vocabSize: 1024, endOfTextId: 0 };

it('a Mixtral config.json gives exactly the MoE layer config it gave before the variants', () => {
  expect(moeConfigOf(parseMixtralConfig(TINY_MIXTRAL))).toStrictEqual({
    dModel: 8,
    dHidden: 12,
    numExperts: 4,
    topK: 2,
    gate: 'topk',
    normTopK: true,
    auxLossCoef: 0.001,
    zLossCoef: 0,
  });
  const parsed = parseMixtralConfig(TINY_MIXTRAL) as unknown as Record<string, unknown>;
  for (const key of ['n_shared_experts', 'scoring_func', 'moe_routing', 'num_slots_per_expert']) {
    expect(key in parsed, key).toBe(false);
  }
  // And the default training run writes none of the new fields.
  const fresh = freshConfig(DEFAULT_TRAIN_RUN.model as never, DEFAULT_TRAIN_RUN.routing, 64, CONTEXT);
  expect(Object.keys(fresh as object).some((k) => /shared|scoring|moe_routing|slots/.test(k))).toBe(false);
});

it('reads, checks and round-trips the variant fields, with DeepSeek names for shared experts', () => {
  const json = { ...TINY_MIXTRAL, n_shared_experts: 2, scoring_func: 'sigmoid' };
  const config = parseMixtralConfig(json);
  expect(parseMixtralConfig(JSON.parse(JSON.stringify(config)))).toEqual(config);
  expect(moeConfigOf(config)).toMatchObject({ gate: 'sigmoid', sharedExperts: 2 });
  const names = new Map(mixtralTensorSpecs(config).map((t) => [t.name, t.shape]));
  expect(names.get('model.layers.0.block_sparse_moe.shared_experts.gate_proj.weight')).toEqual([24, 8]);
  expect(names.get('model.layers.0.block_sparse_moe.shared_experts.up_proj.weight')).toEqual([24, 8]);
  expect(names.get('model.layers.1.block_sparse_moe.shared_experts.down_proj.weight')).toEqual([8, 24]);
  const soft = parseMixtralConfig({ ...TINY_MIXTRAL, moe_routing: 'soft-moe', num_slots_per_expert: 3 });
  expect(names.size).toBeGreaterThan(0);
  expect(mixtralTensorSpecs(soft).find((t) => t.name.endsWith('0.block_sparse_moe.gate.weight'))!.shape).toEqual([
    12, 8,
  ]);
  expect(() => parseMixtralConfig({ ...TINY_MIXTRAL, scoring_func: 'relu' })).toThrow(
    'config.json: scoring_func must be one of softmax, sigmoid; got "relu".',
  );
  expect(() => parseMixtralConfig({ ...TINY_MIXTRAL, scoring_func: 'sigmoid', moe_routing: 'soft-moe' })).toThrow(
    /token-choice gate/,
  );
  expect(() => parseMixtralConfig({ ...TINY_MIXTRAL, n_shared_experts: -1 })).toThrow(/n_shared_experts/);
});

it('counts shared experts as always active, and fine-grained sizes at equal expert parameters', () => {
  const plain = countParameters({ ...TINY_MIXTRAL, intermediate_size: 12 });
  const shared = countParameters({
    ...TINY_MIXTRAL,
    num_local_experts: 3,
    num_experts_per_tok: 1,
    n_shared_experts: 1,
  });
  expect(shared.breakdown.total.sharedExperts).toBe(2 * 3 * 8 * 12);
  expect(shared.breakdown.active.sharedExperts).toBe(shared.breakdown.total.sharedExperts);
  expect(shared.breakdown.total.routedExperts + shared.breakdown.total.sharedExperts).toBe(
    plain.breakdown.total.routedExperts,
  );
  expect(shared.breakdown.active.routedExperts + shared.breakdown.active.sharedExperts).toBe(
    plain.breakdown.active.routedExperts,
  );
  const f = fineGrained({ numExperts: 4, topK: 2, dHidden: 12 }, 2);
  const fine = countParameters({
    ...TINY_MIXTRAL,
    num_local_experts: f.numExperts,
    num_experts_per_tok: f.topK,
    intermediate_size: f.dHidden,
  });
  expect(fine.breakdown.total.routedExperts).toBe(plain.breakdown.total.routedExperts);
  expect(fine.breakdown.active.routedExperts).toBe(plain.breakdown.active.routedExperts);
});

it('saves and reloads a shared-expert, sigmoid-gated model exactly (checkpoint files, HF names)', async () => {
  const config = {
    ...TINY_MIXTRAL,
    vocab_size: 1024,
    num_local_experts: 3,
    num_experts_per_tok: 1,
    n_shared_experts: 1,
    scoring_func: 'sigmoid',
    max_position_embeddings: 32,
  };
  const lab = await Lab.create({ config, tokenizer, seed: 3 });
  const files = await lab.save();
  const saved = JSON.parse(new TextDecoder().decode(files.get('config.json'))) as Record<string, unknown>;
  expect(saved).toMatchObject({ n_shared_experts: 1, scoring_func: 'sigmoid' });
  const reloaded = await Lab.load(files);
  expect([...reloaded.tensors().keys()]).toContain('model.layers.1.block_sparse_moe.shared_experts.down_proj.weight');
  const ids = lab.encode('The jury said');
  expect(await reloaded.logits(ids)).toEqual(await lab.logits(ids));
  // A selection bias steers the choice: +10 on expert 2 puts it first for every token.
  const [biased] = await lab.routeIds([ids], {
    selectionBias: [
      [0, 0, 10],
      [0, 0, 0],
    ],
  });
  expect(Array.from(biased!.expertIndex)).toEqual(ids.map(() => 2));
  reloaded.dispose();
  lab.dispose();
});

/** A small fresh run of the default recipe with model fields changed. */
function variantRun(model: Record<string, unknown>, routing: Record<string, unknown> = {}): unknown {
  return {
    ...structuredClone(DEFAULT_TRAIN_RUN),
    model: { ...DEFAULT_TRAIN_RUN.model, hidden: 16, intermediate: 16, layers: 1, heads: 2, kvHeads: 1, ...model },
    routing: { ...DEFAULT_TRAIN_RUN.routing, ...routing },
    steps: 30,
    batch: 4,
    seqLen: 16,
    schedule: { ...DEFAULT_TRAIN_RUN.schedule, lr: 1e-2, warmup: 3 },
  };
}

it('validates the variants of a training run with sentences that say what to change', () => {
  const errors = (input: unknown): string[] => {
    const v = validateTrainRun(input, CONTEXT);
    return v.ok ? [] : v.errors;
  };
  expect(errors(variantRun({ router: 'mixture' }))).toEqual([
    'The routing must be one of token-choice, expert-choice, soft-moe; got "mixture".',
  ]);
  expect(errors(variantRun({ scoring: 'tanh' }))[0]).toMatch(/scoring must be softmax or sigmoid/);
  expect(errors(variantRun({ scoring: 'sigmoid', router: 'expert-choice' }))[0]).toMatch(/cannot be combined/);
  expect(errors(variantRun({ router: 'soft-moe' }, { capacityFactor: 1.25 }))[0]).toMatch(/Soft MoE drops no/);
  expect(errors(variantRun({ router: 'expert-choice' }, { biasUpdateRate: 0.01 }))[0]).toMatch(/turn it off/);
  expect(errors(variantRun({ expertCapacity: 2 }))[0]).toMatch(/only applies with expert-choice/);
  expect(errors(variantRun({ router: 'expert-choice', expertCapacity: 9 }))[0]).toMatch(/must not exceed/);
  expect(errors(variantRun({ sharedExperts: 1.5 }))[0]).toMatch(/shared experts must be a whole number/);
  const soft = validateTrainRun(variantRun({ router: 'soft-moe' }), CONTEXT);
  expect(soft.ok && soft.modelConfig.num_slots_per_expert).toBe(4); // 16 tokens · K 2 / 8 experts
});

it('every variant trains: the loss falls over 30 steps, and expert choice reports tokens with no expert', async () => {
  // Counting runs 0 … 23: predictable after one token, so a tiny model learns them in a few steps.
  const stream = Int32Array.from({ length: 4000 }, (_, i) => (i + Math.floor(i / 97) * 5) % 24);
  const fine = fineGrained({ numExperts: 8, topK: 2, dHidden: 16 }, 2);
  const variants: [string, unknown][] = [
    ['shared', variantRun({ experts: 7, topK: 1, sharedExperts: 1 })],
    ['fine-grained', variantRun({ experts: fine.numExperts, topK: fine.topK, intermediate: fine.dHidden })],
    ['sigmoid', variantRun({ scoring: 'sigmoid' }, { auxLossCoef: 0.001, biasUpdateRate: 0.01 })],
    ['expert-choice', variantRun({ router: 'expert-choice' })],
    ['soft-moe', variantRun({ router: 'soft-moe' })],
  ];
  for (const [name, input] of variants) {
    const v = validateTrainRun(input, CONTEXT);
    if (!v.ok) throw new Error(`${name}: ${v.errors.join(' ')}`);
    const lab = await Lab.create({ config: v.modelConfig, tokenizer, seed: 1 });
    const before = lab.memory().numTensors;
    const run = lab.train({
      train: stream,
      steps: v.run.steps,
      batchSize: v.run.batch,
      seqLen: v.run.seqLen,
      seed: 1,
      schedule: { maxLr: v.run.schedule.lr, minLr: v.run.schedule.minLr, warmupSteps: v.run.schedule.warmup },
      routing: { capacityFactor: v.run.routing.capacityFactor, biasUpdateRate: v.run.routing.biasUpdateRate },
    });
    const losses: number[] = [];
    let unrouted: number[] | undefined;
    for await (const p of run) {
      losses.push(p.loss);
      unrouted = p.unroutedTokens;
    }
    run.dispose();
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-5)), name).toBeLessThan(mean(losses.slice(0, 5)) - 0.5);
    if (name === 'expert-choice') expect(unrouted).toHaveLength(1);
    else expect(unrouted, name).toBeUndefined();
    expect(lab.memory().numTensors, name).toBe(before);
    lab.dispose();
  }
}, 120_000);

it('reads each preset’s design from its config.json: shared experts, width, sigmoid scores, selection bias', async () => {
  const { MODEL_PRESETS } = await import('../../models/accounting/presets/index.ts');
  const { moeDesign } = await import('../../models/accounting/moe-designs.ts');
  const design = (id: string) => moeDesign(MODEL_PRESETS.find((p) => p.id === id)!.config);
  expect(design('deepseek-v3')).toEqual({
    routedExperts: 256,
    topK: 8,
    sharedWidth: 1,
    expertWidth: 2048,
    widthOverD: 2048 / 7168,
    scoring: 'sigmoid',
    selectionBias: true,
  });
  expect(design('qwen1.5-moe-a2.7b')).toMatchObject({ routedExperts: 60, topK: 4, sharedWidth: 4, scoring: 'softmax' });
  expect(design('mixtral-8x7b')).toMatchObject({ routedExperts: 8, topK: 2, sharedWidth: 0, widthOverD: 3.5 });
  expect(design('switch-base-8')).toMatchObject({ routedExperts: 8, topK: 1 });
  expect(design('mistral-7b')).toBeNull();
  // Every MoE preset is read (a family added to the presets without a reader here fails this).
  for (const p of MODEL_PRESETS.filter((m) => m.id !== 'mistral-7b')) expect(moeDesign(p.config), p.id).not.toBeNull();
});
