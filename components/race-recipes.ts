// Lesson 5's race: a dense model against an MoE of equal active compute (the dense block is K experts wide),
// optionally a second dense model of equal total parameters, all from the same seed on the same batches.
// Built on the shipped e8-top2 recipe (train-config.ts DEFAULT_TRAIN_RUN); parameters and FLOPs come from
// models/accounting (one source). No bundler imports, so `npm run bench:race` trains the very same runs in Node.
import { expertParams, flopsPerToken, moeParams } from '../models/accounting/flops.ts';
import { countParameters } from '../models/accounting/params.ts';
import { parseMixtralConfig } from '../models/nn/config.ts';
import { DEFAULT_TRAIN_RUN, freshConfig, type FreshModel, type TrainRun } from '../models/training/train-config.ts';

export type RaceLaneId = 'moe' | 'dense' | 'dense-total';

export interface RaceSettings {
  experts: number;
  topK: number;
  steps: number;
  seed: number;
  /** Add a dense model as large in total parameters as the MoE. */
  equalTotal: boolean;
}

/** Sequences per step: half the shipped recipe's 16, so a 500-step race of two lanes takes about 80 s on 2-core wasm (README). */
export const RACE_BATCH = 8;

/** The MoE, its equal-active dense twin and (optionally) the equal-total dense model, as training runs. */
export function raceRuns(s: RaceSettings): { id: RaceLaneId; run: TrainRun }[] {
  const base = DEFAULT_TRAIN_RUN;
  const model = base.model as FreshModel; // the default run trains a fresh model
  // The shipped runs warm up for 100 of 1,500 steps; a short run keeps the same proportion.
  const schedule = { ...base.schedule, warmup: Math.min(base.schedule.warmup, Math.round(s.steps / 15)) };
  const common = { ...base, schedule, steps: s.steps, seed: s.seed, batch: RACE_BATCH };
  const moe: TrainRun = { ...common, model: { ...model, experts: s.experts, topK: s.topK } };
  const dense = (intermediate: number): TrainRun => ({
    ...common,
    model: { ...model, experts: 1, topK: 1, intermediate },
    // One expert has nothing to balance.
    routing: { ...base.routing, auxLossCoef: 0, zLossCoef: 0 },
  });
  const runs: { id: RaceLaneId; run: TrainRun }[] = [
    { id: 'dense', run: dense(s.topK * model.intermediate) },
    { id: 'moe', run: moe },
  ];
  if (s.equalTotal) runs.push({ id: 'dense-total', run: dense(equalTotalIntermediate(moe)) });
  return runs;
}

/** The tokenizer facts a fresh config needs (the token data's manifest has them). */
export interface VocabContext {
  vocabSize: number;
  endOfTextId: number;
}

/** The dense intermediate size h′ whose block (3·d·h′) holds as many weights as the MoE layer's experts and router. */
function equalTotalIntermediate(moe: TrainRun): number {
  const m = moe.model as FreshModel;
  const layer = moeParams({ dModel: m.hidden, dHidden: m.intermediate, numExperts: m.experts, topK: m.topK }).total;
  return Math.round(layer / expertParams(m.hidden, 1));
}

/** What the race shows beside each lane before it trains: parameters and training FLOPs per step. */
export interface LaneFacts {
  totalParams: number;
  activeParams: number;
  /** ≈ 3 × forward FLOPs (forward + backward at twice the forward, Kaplan et al. 2020 §2.1) × tokens per step. */
  trainFlopsPerStep: number;
}

export function laneFacts(run: TrainRun, vocab: VocabContext): LaneFacts {
  const model = run.model as FreshModel;
  const config = parseMixtralConfig(freshConfig(model, run.routing, run.seqLen, vocab));
  const params = countParameters(config);
  const tokens = run.batch * run.seqLen;
  return {
    totalParams: params.total,
    activeParams: params.active,
    trainFlopsPerStep: 3 * flopsPerToken(config, run.seqLen).total * tokens,
  };
}

export const RACE_LABELS: Record<RaceLaneId, (s: RaceSettings) => string> = {
  moe: (s) => `MoE: ${s.experts} experts, top-${s.topK}`,
  dense: (s) => `dense, equal active (${s.topK} experts wide)`,
  'dense-total': (s) => `dense, equal total (${s.experts} experts wide)`,
};
