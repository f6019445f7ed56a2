// Lesson 5's race: the lanes are what the lesson says (equal active compute, equal total parameters, one seed,
// the same batches), every lane passes the training validator, the FLOP and parameter readouts come from the
// accounting modules, the gap per step and per second is read off the curves correctly, and the race's link
// round-trips.
import { describe, expect, it } from 'vitest';
import { countParameters } from '../../models/accounting/params.ts';
import { validateTrainRun, type FreshModel } from '../../models/training/train-config.ts';
import { laneFacts, RACE_BATCH, raceRuns } from '../../components/race-recipes.ts';
import { emptyRaceLane, lossAtSeconds, raceGap, smooth, withRaceProgress } from '../../components/race-lanes.ts';
import { raceSchema, type RaceState } from '../../components/race-state.ts';
import { defaults, readState, writeState } from '../../components/url-state.ts';
import type { TrainProgressMessage } from '../../models/engine/protocol.ts';

const VOCAB = { vocabSize: 1024, endOfTextId: 0 };

describe('race lanes', () => {
  it('builds the MoE, the equal-active dense model and the equal-total one from one recipe', () => {
    for (const [experts, topK] of [
      [8, 2],
      [16, 2],
      [4, 1],
    ] as const) {
      const runs = raceRuns({ experts, topK, steps: 300, seed: 7, equalTotal: true });
      expect(runs.map((r) => r.id)).toEqual(['dense', 'moe', 'dense-total']);
      const [dense, moe, total] = runs.map((r) => r.run);
      const m = moe!.model as FreshModel;
      expect(m).toMatchObject({ experts, topK });
      expect((dense!.model as FreshModel).intermediate).toBe(topK * m.intermediate);
      expect((dense!.model as FreshModel).experts).toBe(1);
      // Same data order, seed, batch and schedule in every lane.
      for (const r of runs) {
        expect(r.run).toMatchObject({ seed: 7, steps: 300, batch: RACE_BATCH, seqLen: 64, schedule: moe!.schedule });
        const v = validateTrainRun(r.run, VOCAB);
        expect(v.ok, JSON.stringify(v)).toBe(true);
      }
      const facts = runs.map((r) => laneFacts(r.run, VOCAB));
      // Equal active compute: same FLOPs per step (the router's N·d per token is the only difference).
      expect(
        Math.abs(facts[0]!.trainFlopsPerStep - facts[1]!.trainFlopsPerStep) / facts[1]!.trainFlopsPerStep,
      ).toBeLessThan(0.02);
      // Equal total parameters, to within one intermediate column per layer.
      const d = m.hidden;
      expect(Math.abs(facts[2]!.totalParams - facts[1]!.totalParams)).toBeLessThanOrEqual(3 * d * m.layers);
      expect(total!.routing.auxLossCoef).toBe(0);
    }
  });

  it('reports the parameter counts params.ts counts for the configs the runs train', () => {
    const [, moe] = raceRuns({ experts: 8, topK: 2, steps: 100, seed: 1, equalTotal: false });
    const v = validateTrainRun(moe!.run, VOCAB);
    if (!v.ok) throw new Error(v.errors.join(' '));
    const counted = countParameters(v.modelConfig);
    expect(laneFacts(moe!.run, VOCAB)).toMatchObject({ totalParams: counted.total, activeParams: counted.active });
    // The shipped e8-top2 holds 550,208 parameters and uses 255,296 per token (its training.json).
    expect(counted.total).toBe(550_208);
    expect(counted.active).toBe(255_296);
  });
});

const message = (run: string, firstStep: number, losses: number[], msPerStep: number): TrainProgressMessage =>
  ({ run, firstStep, losses, msPerStep, step: firstStep + losses.length - 1 }) as TrainProgressMessage;

describe('race gap', () => {
  it('smooths with a trailing mean', () => {
    expect(smooth([1, 2, 3, 4, 5], 2)).toEqual([1, 1.5, 2.5, 3.5, 4.5]);
  });

  it('compares at equal steps and at equal seconds of each lane', () => {
    let lanes = [emptyRaceLane('dense'), emptyRaceLane('moe')];
    // Dense: 40 steps at 10 ms, loss 5; MoE: 40 steps at 20 ms, loss 4 for the first 20 and 3 after.
    lanes = withRaceProgress(lanes, message('dense', 1, Array(40).fill(5), 10));
    lanes = withRaceProgress(lanes, message('moe', 1, [...Array(20).fill(4), ...Array(20).fill(3)], 20));
    expect(lanes[1]!.seconds[39]).toBeCloseTo(0.8, 9);
    const gap = raceGap(lanes)!;
    expect(gap.steps).toBe(40);
    expect(gap.perStep).toBeCloseTo(3 - 5, 9);
    // The dense lane finished its 40 steps at 0.4 s; by then the MoE had done 20 steps at loss 4.
    expect(gap.seconds).toBeCloseTo(0.4, 9);
    expect(gap.perSecond).toBeCloseTo(4 - 5, 9);
    expect(lossAtSeconds(lanes[1]!, 10)).toBeNull();
  });

  it('has no gap before both lanes have a step', () => {
    expect(raceGap([emptyRaceLane('dense'), emptyRaceLane('moe')])).toBeNull();
  });
});

describe('race URL state', () => {
  it('round-trips its settings and keeps K within N', () => {
    const state: RaceState = { experts: 16, k: 4, steps: 1000, total: true, seed: 3, backend: 'cpu' };
    expect(readState(raceSchema, writeState(raceSchema, state, new URLSearchParams()))).toEqual({
      state,
      problems: [],
    });
    const { state: fixed, problems } = readState(raceSchema, new URLSearchParams('race.experts=2&race.k=8'));
    expect(fixed.k).toBe(2);
    expect(problems).toEqual(['K cannot exceed the 2 experts; the link had 8, so K is 2.']);
  });

  it('answers a bad link with sentences and the defaults', () => {
    const { state, problems } = readState(
      raceSchema,
      new URLSearchParams('race.experts=7&race.steps=123&race.total=yes'),
    );
    expect(state).toEqual(defaults(raceSchema));
    expect(problems).toHaveLength(3);
    expect(problems[0]).toBe('The number of experts N must be one of 2, 4, 8, 16; the link had "7".');
  });
});
