// Lesson 6's training run: the shipped e8-top2 recipe (train-config.ts DEFAULT_TRAIN_RUN), shortened, with
// the reader's balancing choices. No bundler imports, so `npm run bench:balance` trains the very same run.
import { DEFAULT_TRAIN_RUN, type TrainRun } from '../models/training/train-config.ts';

export const CAPACITY_CHOICES = ['none', '2', '1.25', '1'] as const;
export type CapacityChoice = (typeof CAPACITY_CHOICES)[number];

export interface BalanceSettings {
  /** α of the load-balancing loss, 0 … 0.1. */
  alpha: number;
  capacity: CapacityChoice;
  zLoss: boolean;
  bias: boolean;
  steps: number;
  seed: number;
}

/** Sequences per step: half the shipped 16, so a run of 150 steps takes well under a minute on wasm (README). */
export const BALANCE_BATCH = 8;

/** γ of DeepSeek-V3's bias update (its §2.1.2 used 0.001 over far longer runs; ours has 150 steps to act). */
export const BIAS_RATE = 0.01;

export function balanceRun(s: BalanceSettings): TrainRun {
  const base = DEFAULT_TRAIN_RUN;
  return {
    ...base,
    routing: {
      auxLossCoef: s.alpha,
      zLossCoef: s.zLoss ? base.routing.zLossCoef : 0,
      capacityFactor: s.capacity === 'none' ? null : Number(s.capacity),
      biasUpdateRate: s.bias ? BIAS_RATE : null,
    },
    // The shipped runs warm up for 100 of 1,500 steps; a short run keeps the same proportion.
    schedule: { ...base.schedule, warmup: Math.min(base.schedule.warmup, Math.round(s.steps / 15)) },
    steps: s.steps,
    batch: BALANCE_BATCH,
    seed: s.seed,
  };
}
