// The engine's `train` request, driven as the worker drives it (wasm, in Node): the shipped token data
// fetched and verified, the e8-top2 recipe reproducing the shipped Node log, progress carrying every
// step's loss, pause/resume/cancel, a race, capacity (token dropping) and bias balancing really applied,
// checkpoint zips that load back to the same logits, and sentences for bad input.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine, type RequestContext } from '../../models/engine/engine.ts';
import type { TrainProgressMessage, TrainRequest } from '../../models/engine/protocol.ts';
import { checkpointFilesFromZip } from '../../models/checkpoint/checkpoint-zip.ts';
import { Lab } from '../../models/lab.ts';
import { setupNodeBackend } from '../../models/node/backend-node.ts';
import { DEFAULT_TRAIN_RUN } from '../../models/training/train-config.ts';
import { expertCapacity } from '../../models/moe/dispatch.ts';

const DATA = {
  'manifest.json': 'models/data/manifest.json',
  'train.bin': 'models/data/train.bin',
  'validation.bin': 'models/data/validation.bin',
};
const TOKENIZER = 'models/checkpoints/tokenizer.json';

/** A fresh model small enough to train 60 steps in seconds on a shared 2-core machine. */
const small = (over: Record<string, unknown> = {}, model: Record<string, unknown> = {}) => ({
  ...DEFAULT_TRAIN_RUN,
  model: {
    ...DEFAULT_TRAIN_RUN.model,
    experts: 4,
    topK: 2,
    hidden: 16,
    intermediate: 32,
    layers: 1,
    heads: 2,
    kvHeads: 1,
    ...model,
  },
  schedule: { ...DEFAULT_TRAIN_RUN.schedule, lr: 1e-2, minLr: 1e-3, warmup: 5 },
  steps: 60,
  batch: 4,
  seqLen: 16,
  ...over,
});

function request(runs: TrainRequest['runs']): TrainRequest {
  return { runs, data: DATA, tokenizer: TOKENIZER, evalEvery: 30, evalWindows: 8 };
}

interface Recorder extends RequestContext {
  messages: TrainProgressMessage[];
  pausedNow: boolean;
  cancelNow: boolean;
}

function recorder(onProgress: (r: Recorder, p: TrainProgressMessage) => void = () => undefined): Recorder {
  const r: Recorder = {
    messages: [],
    pausedNow: false,
    cancelNow: false,
    progress: () => undefined,
    token: () => undefined,
    benchRow: () => undefined,
    cancelled: () => r.cancelNow,
    paused: () => r.pausedNow,
    trainProgress: (p) => {
      r.messages.push(p);
      onProgress(r, p);
    },
  };
  return r;
}

/** Every step's loss of one run, from the messages (which batch them). */
function lossesOf(messages: TrainProgressMessage[], run: string): number[] {
  const out: number[] = [];
  for (const m of messages.filter((x) => x.run === run)) {
    expect(m.firstStep).toBe(out.length + 1); // no step lost or repeated
    out.push(...m.losses);
  }
  return out;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('engine train request (wasm, in Node)', () => {
  let engine: Engine;
  const forgotten: string[] = [];

  beforeAll(async () => {
    tf.env().set('IS_TEST', true);
    await setupNodeBackend('wasm');
    engine = new Engine({
      inWorker: false,
      fetchFile: async (path) => ({ body: new Uint8Array(readFileSync(path)), fromCache: false }),
      forgetFile: async (url) => void forgotten.push(url),
    });
    await engine.init('wasm');
  }, 60_000);

  it('trains 60 steps: the loss falls, every step reaches the page, the zip loads back to the same logits', async () => {
    const r = recorder();
    const before = tf.memory().numTensors;
    const result = await engine.handle('train', request([{ id: 'a', run: small() }]), r);
    expect(result.error).toBeNull();
    expect(result.cancelled).toBe(false);
    const losses = lossesOf(r.messages, 'a');
    expect(losses).toHaveLength(60);
    expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 10)) - 0.3);
    const last = r.messages.at(-1)!;
    expect(last).toMatchObject({ step: 60, steps: 60, tokensSeen: 60 * 4 * 16 });
    expect(last.lastValLoss).toBeGreaterThan(0);
    expect(last.msPerStep).toBeGreaterThan(0);
    expect(last.tokensPerSecond).toBeCloseTo((64 / last.msPerStep) * 1000, 6);
    expect(last.expertTokens[0]!.reduce((a, b) => a + b, 0)).toBe(64 * 2); // dropless: tokens · K
    expect(last.routerEntropy[0]).toBeGreaterThan(0);
    expect(last.routerEntropy[0]).toBeLessThanOrEqual(Math.log(4) + 1e-6);
    expect(last.droppedSlots).toEqual([0]);
    expect(last.zLoss).toBeGreaterThan(0);
    expect(last.aux).toBeGreaterThan(last.zLoss);

    const run = result.runs[0]!;
    expect(run.stepsDone).toBe(60);
    const lab = await Lab.load(await checkpointFilesFromZip(run.checkpoint!));
    const weights = lab.tensors().size;
    const ids = [0, 464, 17, 5, 99];
    const fromZip = await lab.logits(ids);
    const inEngine = await engine.handle('trainedLogits', { run: 'a', ids }, r);
    fromZip.flat().forEach((v, i) => expect(Math.abs(v - inEngine.flat()[i]!)).toBeLessThan(1e-6));
    lab.dispose();
    // The engine keeps the trained model's weights (for logits and export); nothing else outlives the run.
    expect(tf.memory().numTensors - before).toBe(weights);
  }, 120_000);

  it("reproduces e8-top2's shipped Node log (its first 50 losses, to 1e-4) from the shipped data", async () => {
    const r = recorder((rec, p) => (rec.cancelNow = p.step >= 50));
    const run = { ...DEFAULT_TRAIN_RUN, steps: 1500 }; // e8-top2's recipe: the same schedule to the step
    const result = await engine.handle('train', { ...request([{ id: 'e8', run }]), evalEvery: 10_000 }, r);
    expect(result.cancelled).toBe(true);
    const shipped = readFileSync('models/checkpoints/e8-top2/train-log.jsonl', 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { loss?: number })
      .filter((l) => l.loss !== undefined)
      .slice(0, 50)
      .map((l) => l.loss!);
    const losses = lossesOf(r.messages, 'e8').slice(0, 50);
    expect(losses).toHaveLength(50);
    losses.forEach((loss, i) => expect(Math.abs(loss - shipped[i]!)).toBeLessThanOrEqual(1e-4));
  }, 240_000);

  it('pauses between steps, resumes, and a cancel keeps what was trained', async () => {
    let pausedAt = -1;
    const r = recorder((rec, p) => {
      if (p.step >= 5 && pausedAt < 0) {
        rec.pausedNow = true;
        pausedAt = p.step;
        setTimeout(() => (rec.pausedNow = false), 300);
      }
      if (p.step >= 20) rec.cancelNow = true;
    });
    const result = await engine.handle('train', { ...request([{ id: 'p', run: small() }]), evalEvery: 1000 }, r);
    expect(result.cancelled).toBe(true);
    const run = result.runs[0]!;
    expect(run.stepsDone).toBeGreaterThanOrEqual(20);
    expect(run.stepsDone).toBeLessThan(60);
    expect(run.checkpoint).not.toBeNull();
    // The engine said where it stopped, and while paused no step ran: the next message continues from there.
    expect(r.messages.filter((m) => m.paused).map((m) => m.step)).toEqual([pausedAt]);
    const after = r.messages.find((m) => m.firstStep > pausedAt)!;
    expect(after.firstStep).toBe(pausedAt + 1);
  }, 120_000);

  it('races two models interleaved in one request and streams both', async () => {
    const r = recorder();
    const dense = small({ steps: 20 }, { experts: 1, topK: 1, intermediate: 64 });
    const moe = small({ steps: 20 }, { experts: 8, topK: 2, intermediate: 32 });
    const result = await engine.handle(
      'train',
      request([
        { id: 'dense', run: { ...dense, routing: { ...dense.routing, auxLossCoef: 0, zLossCoef: 0 } } },
        { id: 'moe', run: moe },
      ]),
      r,
    );
    expect(result.runs.map((x) => [x.id, x.stepsDone])).toEqual([
      ['dense', 20],
      ['moe', 20],
    ]);
    expect(lossesOf(r.messages, 'dense')).toHaveLength(20);
    expect(lossesOf(r.messages, 'moe')).toHaveLength(20);
    // Interleaved: the dense lane's last message comes after the MoE lane's first.
    const order = r.messages.map((m) => m.run);
    expect(order.lastIndexOf('dense')).toBeGreaterThan(order.indexOf('moe'));
    // Equal active compute: the dense block is as wide as two experts; the MoE's router is 8 × d, not 1 × d.
    expect(result.runs[1]!.activeParams - result.runs[0]!.activeParams).toBe((8 - 1) * 16);
  }, 120_000);

  it('drops tokens past the expert capacity when the run asks for a capacity factor', async () => {
    const r = recorder();
    const run = small({ steps: 5, routing: { ...DEFAULT_TRAIN_RUN.routing, capacityFactor: 0.5 } });
    await engine.handle('train', request([{ id: 'c', run }]), r);
    const capacity = expertCapacity(0.5, 64, 2, 4); // 16 rows per expert
    for (const m of r.messages) {
      const load = m.expertTokens[0]!;
      load.forEach((rows) => expect(rows).toBeLessThanOrEqual(capacity));
      expect(load.reduce((a, b) => a + b, 0) + m.droppedSlots[0]!).toBe(64 * 2);
      expect(m.droppedSlots[0]).toBeGreaterThanOrEqual(64 * 2 - 4 * capacity);
    }
  }, 60_000);

  it('refuses impossible runs with sentences, and a corrupted data file is forgotten', async () => {
    const r = recorder();
    await expect(engine.handle('train', request([{ id: 'k', run: small({}, { topK: 5 }) }]), r)).rejects.toThrow(/K/);
    await expect(engine.handle('train', request([{ id: 'z', run: small({}, { hidden: 0 }) }]), r)).rejects.toThrow(
      /hidden size/,
    );
    const huge = small({ batch: 512, seqLen: 2048 }, { hidden: 1024, layers: 8, heads: 8, kvHeads: 8 });
    await expect(engine.handle('train', request([{ id: 'h', run: huge }]), r)).rejects.toThrow(/would need about/);
    const corrupt = new Engine({
      inWorker: false,
      fetchFile: async (path) => {
        const body = new Uint8Array(readFileSync(path));
        if (path.endsWith('train.bin')) body[1000] = body[1000]! ^ 1;
        return { body, fromCache: true };
      },
      forgetFile: async (url) => void forgotten.push(url),
    });
    await corrupt.init('wasm');
    await expect(corrupt.handle('train', request([{ id: 'x', run: small() }]), r)).rejects.toThrow(/SHA-256/);
    expect(forgotten).toContain(DATA['train.bin']);
  }, 60_000);
});
