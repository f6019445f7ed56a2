// Lesson 6's numbers: load shares and the busiest-over-mean ratio, the balancing loss N·Σ fᵢ·Pᵢ worked from
// a step's loads and mean router probabilities — checked against the loss tfjs computes in a real training
// step — the widget's per-message rows, the shipped recorded logs, and the two widgets' links.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../models/engine/engine.ts';
import type { TrainProgressMessage } from '../../models/engine/protocol.ts';
import { idleExperts, loadShares, maxLoadRatio, switchBalance } from '../../models/moe/load-balance.ts';
import { setupNodeBackend } from '../../models/node/backend-node.ts';
import { DEFAULT_TRAIN_RUN } from '../../models/training/train-config.ts';
import { emptyBalanceRun, recentImbalance, withBalanceProgress } from '../../components/balance-history.ts';
import { balanceRun } from '../../components/balance-recipe.ts';
import { balanceSchema, type BalanceState } from '../../components/balance-state.ts';
import { capacitySchema } from '../../components/capacity-state.ts';
import { parseTrainLog, RECORDED } from '../../components/recorded-logs.ts';
import { defaults, readState, writeState } from '../../components/url-state.ts';

describe('load statistics', () => {
  it('counts shares, the busiest expert over the mean and the idle experts by hand', () => {
    expect(loadShares([2, 2, 4, 0])).toEqual([0.25, 0.25, 0.5, 0]);
    expect(maxLoadRatio([2, 2, 4, 0])).toBe(2);
    expect(maxLoadRatio([5, 5, 5, 5])).toBe(1);
    expect(maxLoadRatio([0, 8, 0, 8, 0, 0, 0, 0])).toBe(4); // top-2 collapsed onto two of 8: N / K
    expect(idleExperts([0, 8, 0, 8, 0, 0, 0, 1])).toBe(5);
    expect(loadShares([0, 0])).toEqual([0, 0]);
  });

  it('gives N·Σ fᵢ·Pᵢ = K for an even top-K load', () => {
    // 16 tokens, top-2 over 8 experts: 4 rows each, Pᵢ = 1/8.
    expect(switchBalance(Array(8).fill(4), Array(8).fill(1 / 8), 16)).toBeCloseTo(2, 12);
    // All rows on experts 0 and 1, which also hold all the probability: N · (1 · ½ + 1 · ½) = 8.
    expect(switchBalance([16, 16, 0, 0, 0, 0, 0, 0], [0.5, 0.5, 0, 0, 0, 0, 0, 0], 16)).toBeCloseTo(8, 12);
  });

  it('keeps one row per reported step with the dropped fraction of tokens · K', () => {
    const p = {
      step: 3,
      losses: [6, 5.9],
      expertTokens: [[4, 4, 4, 0]],
      droppedSlots: [4],
      routerEntropy: [1.2],
      routerMeanProb: [[0.3, 0.3, 0.3, 0.1]],
    } as unknown as TrainProgressMessage;
    const run = withBalanceProgress(emptyBalanceRun(), p, 8, 2);
    expect(run.losses).toEqual([6, 5.9]);
    expect(run.rows).toHaveLength(1);
    expect(run.rows[0]).toMatchObject({ step: 3, dropped: [0.25], maxLoad: [4 / 3], entropy: [1.2] });
    expect(run.rows[0]!.balance![0]).toBeCloseTo(4 * (0.5 * 0.3 * 3), 12);
    expect(recentImbalance(run, 0)).toBeCloseTo(4 / 3, 12);
    // A paused run resends its last step: no second row for it.
    expect(withBalanceProgress(run, { ...p, losses: [] }, 8, 2).rows).toHaveLength(1);
  });
});

describe('the balancing loss from a real training step', () => {
  beforeAll(async () => {
    tf.env().set('IS_TEST', true);
    await setupNodeBackend('wasm');
  }, 60_000);

  it("α · Σ over layers of N·Σ fᵢ·Pᵢ, from the step's own loads and Pᵢ, is the engine's aux loss minus its z part", async () => {
    const engine = new Engine({
      inWorker: false,
      fetchFile: async (path) => ({ body: new Uint8Array(readFileSync(path)), fromCache: false }),
    });
    await engine.init('wasm');
    const run = {
      ...balanceRun({ alpha: 0.05, capacity: 'none', zLoss: true, bias: false, steps: 12, seed: 3 }),
      model: { ...DEFAULT_TRAIN_RUN.model, hidden: 16, intermediate: 32, layers: 2, heads: 2, kvHeads: 1 },
      batch: 2,
      seqLen: 16,
    };
    const messages: TrainProgressMessage[] = [];
    const result = await engine.handle(
      'train',
      {
        runs: [{ id: 'b', run }],
        data: {
          'manifest.json': 'models/data/manifest.json',
          'train.bin': 'models/data/train.bin',
          'validation.bin': 'models/data/validation.bin',
        },
        tokenizer: 'models/checkpoints/tokenizer.json',
        evalEvery: 12,
        evalWindows: 2,
      },
      {
        progress: () => undefined,
        token: () => undefined,
        benchRow: () => undefined,
        cancelled: () => false,
        paused: () => false,
        trainProgress: (p) => void messages.push(p),
      },
    );
    expect(result.error).toBeNull();
    const last = messages.at(-1)!;
    expect(last.routerMeanProb).toHaveLength(2);
    last.routerMeanProb!.forEach((p) => expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5));
    const worked =
      0.05 * last.expertTokens.reduce((sum, l, i) => sum + switchBalance(l, last.routerMeanProb![i]!, 32), 0);
    expect(worked).toBeCloseTo(last.aux - last.zLoss, 5);
  });
});

describe('recorded logs', () => {
  it('reads a log by hand: a point per `every` steps, seconds summed, validation lines apart', () => {
    const text = [
      '{"step":0,"loss":6,"ms":1000}',
      '{"step":1,"loss":4,"ms":500}',
      '{"step":2,"loss":3,"ms":500}',
      '{"step":3,"loss":3,"ms":500}',
      '{"step":4,"trainLoss":3,"valLoss":3.5,"elapsedSeconds":2}',
    ].join('\n');
    const curve = parseTrainLog('x', text, 100, 2);
    expect(curve.points).toEqual([
      { step: 2, tokens: 200, seconds: 1.5, loss: 5 },
      { step: 4, tokens: 400, seconds: 2.5, loss: 3 },
    ]);
    expect(curve.val).toEqual([{ step: 4, tokens: 400, loss: 3.5 }]);
  });

  it("finds every shipped log, whose last validation loss is its training.json's", () => {
    expect(RECORDED.map((r) => r.id)).toEqual(['dense', 'e4-top2', 'e8-top2', 'e16-top2', 'e8-top1']);
    for (const r of RECORDED) {
      const text = readFileSync(`models/checkpoints/${r.id}/train-log.jsonl`, 'utf8');
      const curve = parseTrainLog(r.id, text, r.training.batch * r.training.seq);
      expect(curve.points).toHaveLength(r.training.steps / 10);
      expect(curve.val.at(-1)!.loss).toBe(r.training.finalValLoss);
      expect(curve.points.at(-1)!.tokens).toBe(r.training.steps * r.training.batch * r.training.seq);
    }
  });
});

describe('lesson 6 URL state', () => {
  it('round-trips the balance settings and refuses bad ones with sentences', () => {
    const state: BalanceState = { alpha: 0, capacity: '1.25', z: false, bias: true, steps: 300, backend: 'wasm' };
    expect(readState(balanceSchema, writeState(balanceSchema, state, new URLSearchParams()))).toEqual({
      state,
      problems: [],
    });
    const bad = readState(balanceSchema, new URLSearchParams('balance.alpha=0.3&balance.capacity=3&balance.z=maybe'));
    expect(bad.state).toEqual(defaults(balanceSchema));
    expect(bad.problems).toHaveLength(3);
  });

  it('offers only checkpoints with experts for dropping', () => {
    const { state, problems } = readState(capacitySchema, new URLSearchParams('capacity.checkpoint=dense'));
    expect(state.checkpoint).toBe('e8-top2');
    expect(problems).toEqual([
      'The checkpoint must be one of e4-top2, e8-top2, e16-top2, e8-top1; the link had "dense".',
    ]);
  });
});
