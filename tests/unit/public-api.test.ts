// The public API, used the way a notebook uses it: only what models/index.ts exports. If a rename or a
// move breaks the facade, this test says so before a reader does.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { Lab, concatDocuments, type GeneratedStep, type TrainProgress } from '../../models/index.ts';

const CHECKPOINT = 'models/checkpoints/e8-top2';

it(
  'load → route → generate → train 10 steps → save → reload round-trips through models/index.ts',
  {
    timeout: 120_000,
  },
  async () => {
    const lab = await Lab.load({ dir: CHECKPOINT }, { backend: 'wasm' });
    const before = lab.memory().numTensors;
    const { num_local_experts: n, num_hidden_layers: layers } = lab.config;

    // route: every token of the text (after the end-of-text prefix), k experts in every layer.
    const routed = await lab.route('The jury said', { k: 2 });
    expect(routed.tokens[0]!.text).toBe('<|endoftext|>');
    expect(
      routed.tokens
        .slice(1)
        .map((t) => t.text)
        .join(''),
    ).toBe('The jury said');
    expect(routed.layers).toHaveLength(layers);
    for (const layer of routed.layers) {
      expect(layer.expertIndex).toHaveLength(routed.tokens.length * 2);
      expect([...layer.expertIndex].every((e) => e >= 0 && e < n)).toBe(true);
    }

    // generate: a stream of tokens whose texts add up to the continuation, never the stop token.
    const steps: GeneratedStep[] = [];
    for await (const step of lab.generate('The jury said', { maxNewTokens: 12, temperature: 0, seed: 1 })) {
      steps.push(step);
    }
    expect(steps.length).toBeGreaterThan(0);
    expect(steps.length).toBeLessThanOrEqual(12);
    expect(steps.every((s) => s.id !== lab.tokenizer.endOfTextId)).toBe(true);
    expect(steps.at(-1)!.continuation).toBe(lab.tokenizer.decode(steps.map((s) => s.id)));
    expect(steps[0]!.routing).toHaveLength(layers);

    // train: 10 steps on a small stream; the loss of the batches seen goes down.
    const text = readFileSync('README.md', 'utf8').slice(0, 6000);
    const { tokens } = concatDocuments([Int32Array.from(lab.tokenizer.encode(text).ids)], lab.tokenizer.endOfTextId);
    const run = lab.train({
      train: tokens,
      validation: tokens,
      steps: 10,
      batchSize: 4,
      seqLen: 32,
      seed: 3,
      evalWindows: 8,
      schedule: { maxLr: 3e-3, minLr: 3e-3, warmupSteps: 0 },
    });
    const startLoss = run.evaluate();
    const progress: TrainProgress[] = [];
    for await (const p of run) progress.push(p);
    run.dispose();
    expect(progress.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(progress.every((p) => Number.isFinite(p.loss) && p.expertTokens.length === layers)).toBe(true);
    expect(progress.at(-1)!.valLoss).toBeLessThan(startLoss);

    // save → reload: the reloaded model computes exactly what the trained one does (F32 is lossless).
    const files = await lab.save();
    expect([...files.keys()].sort()).toEqual(['config.json', 'manifest.json', 'model.safetensors', 'tokenizer.json']);
    const reloaded = await Lab.load(files);
    const ids = lab.encode('The jury said');
    expect(await reloaded.logits(ids)).toEqual(await lab.logits(ids));
    const original = await Lab.load({ dir: CHECKPOINT });
    expect(await original.logits(ids)).not.toEqual(await lab.logits(ids));
    original.dispose();
    reloaded.dispose();
    expect(lab.memory().numTensors).toBe(before);
    lab.dispose();
  },
);
