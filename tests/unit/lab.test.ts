// The Lab's promises beyond the round trip: training that pauses, cancels and resumes exactly, bad input
// answered with sentences, and no tensor left behind.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Lab, concatDocuments, type TrainOptions } from '../../models/index.ts';

const CHECKPOINT = 'models/checkpoints/e8-top2';

describe('Lab', () => {
  let lab: Lab;
  let stream: Int32Array;
  const options = (extra: Partial<TrainOptions> = {}): TrainOptions => ({
    train: stream,
    steps: 6,
    batchSize: 2,
    seqLen: 16,
    seed: 5,
    schedule: { maxLr: 2e-3, minLr: 2e-4, warmupSteps: 2 },
    ...extra,
  });

  beforeAll(async () => {
    lab = await Lab.load({ dir: CHECKPOINT }, { backend: 'wasm' });
    const text = readFileSync('README.md', 'utf8').slice(0, 4000);
    stream = concatDocuments([Int32Array.from(lab.tokenizer.encode(text).ids)], lab.tokenizer.endOfTextId).tokens;
  });

  it('resumes a stopped run exactly where it stopped (weights + AdamW state + step)', async () => {
    const snapshot = lab.tensors();
    const straight = await Lab.fromTensors({ config: lab.config, tensors: snapshot, tokenizer: lab.tokenizer });
    const run = straight.train(options());
    const all: number[] = [];
    for (let p = run.step(); p; p = run.step()) all.push(p.loss);
    run.dispose();

    const first = await Lab.fromTensors({ config: lab.config, tensors: snapshot, tokenizer: lab.tokenizer });
    const part = first.train(options());
    const losses = [part.step()!.loss, part.step()!.loss, part.step()!.loss];
    const saved = { tensors: first.tensors(), optimizer: part.optimizerState() };
    part.dispose();
    first.dispose();
    const second = await Lab.fromTensors({ config: lab.config, tensors: saved.tensors, tokenizer: lab.tokenizer });
    const rest = second.train(options({ resume: { step: 3, optimizer: saved.optimizer } }));
    for (let p = rest.step(); p; p = rest.step()) losses.push(p.loss);
    rest.dispose();
    expect(losses).toEqual(all);
    expect(await second.logits([1, 2, 3])).toEqual(await straight.logits([1, 2, 3]));
    second.dispose();
    straight.dispose();
  });

  it('pauses, resumes and cancels between steps, and frees what it made', async () => {
    const copy = await Lab.fromTensors({ config: lab.config, tensors: lab.tensors(), tokenizer: lab.tokenizer });
    const before = copy.memory().numTensors;
    const run = copy.train(options({ steps: 50 }));
    const seen: number[] = [];
    for await (const p of run) {
      seen.push(p.step);
      if (p.step === 2) {
        run.pause();
        setTimeout(() => run.resume(), 20);
      }
      if (p.step === 4) run.cancel();
    }
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(run.done).toBe(true);
    expect(run.step()).toBeNull();
    run.dispose();
    expect(copy.memory().numTensors).toBe(before);
    copy.dispose();
  });

  it('answers bad input with sentences a reader can act on', async () => {
    await expect(lab.route('x', { k: 9 })).rejects.toThrow(
      'K must be a whole number between 1 and the number of experts (8); got 9.',
    );
    // Longer than the context is read in windows (tests/unit/engine-route.test.ts); past the bound, a sentence.
    await expect(lab.route('word '.repeat(1100))).rejects.toThrow(/tokens long; at most 1,023 tokens are routed/);
    const full = async (): Promise<void> => {
      for await (const step of lab.generate('word '.repeat(63))) void step;
    };
    await expect(full()).rejects.toThrow("fills this model's 64-token context; shorten it to generate.");
    expect(() => lab.train(options({ seqLen: stream.length }))).toThrow(/needs at least/);
    expect(() => lab.flopsPerToken(2, 0)).toThrow('The context must be a whole number of tokens ≥ 1; got 0.');
  });

  it('loads a PyTorch export without a tokenizer: ids work, text says why it cannot', async () => {
    const torch = await Lab.load({ dir: 'tests/fixtures/tiny-mixtral-torch' });
    expect(torch.hasTokenizer).toBe(false);
    expect(torch.notes.some((n) => n.startsWith('No manifest.json'))).toBe(true);
    expect((await torch.logits([1, 17, 5]))[0]).toHaveLength(torch.config.vocab_size);
    await expect(torch.route('hello')).rejects.toThrow(
      'This checkpoint has no tokenizer.json, so text cannot be encoded',
    );
    torch.dispose();
  });

  it('times the bare decoding loop without leaving tensors behind', async () => {
    const before = lab.memory().numTensors;
    const speed = await lab.decodeSpeed('The jury said', { tokens: 8, k: 2 });
    expect(speed.tokens).toBe(7); // the first pass is the prefill
    expect(speed.msPerToken).toBeGreaterThan(0);
    expect(lab.memory().numTensors).toBe(before);
    await expect(lab.decodeSpeed('word '.repeat(63), { tokens: 8 })).rejects.toThrow(/at least 2 tokens/);
  });

  it('counts what a generation cached, and nothing before one', async () => {
    const fresh = await Lab.load({ dir: CHECKPOINT });
    expect(fresh.memory().kvCacheBytes).toBe(0);
    let n = 0;
    for await (const step of fresh.generate('The', { maxNewTokens: 5, temperature: 0 })) n += step.id >= 0 ? 1 : 0;
    // <|endoftext|> The = 2 prompt positions, plus every generated token but the last, × 512 bytes per position.
    expect(fresh.memory().kvCacheBytes).toBe((2 + n - 1) * 2 * 2 * 2 * 16 * 4);
    fresh.dispose();
  });
});
