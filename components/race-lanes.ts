// One lane of lesson 5's race as the widget shows it, and what the race says at its end: the gap per step
// (equal tokens) and per second (equal compute time). Pure functions; the widget holds the state.
import type { TrainProgressMessage } from '../models/engine/protocol.ts';
import type { RaceLaneId } from './race-recipes.ts';

export interface RaceLane {
  id: RaceLaneId;
  /** One training loss per step done. */
  losses: number[];
  /** Seconds of this lane's own training when each step ended (steps × its mean ms/step so far). */
  seconds: number[];
  last: TrainProgressMessage | null;
}

export const emptyRaceLane = (id: RaceLaneId): RaceLane => ({ id, losses: [], seconds: [], last: null });

/** The lanes after one progress message. The first step compiles kernels, so its time is the mean's too. */
export function withRaceProgress(lanes: RaceLane[], p: TrainProgressMessage): RaceLane[] {
  return lanes.map((lane) => {
    if (lane.id !== p.run) return lane;
    const seconds = p.losses.map((_, i) => ((p.firstStep + i) * p.msPerStep) / 1000);
    return { ...lane, losses: [...lane.losses, ...p.losses], seconds: [...lane.seconds, ...seconds], last: p };
  });
}

/** Step losses are noisy at 8 × 64 tokens: the curves and the gap use the mean of the last `window` steps. */
export const SMOOTHING = 20;

/** The trailing mean of `window` values at each index (fewer at the start). */
export function smooth(values: readonly number[], window = SMOOTHING): number[] {
  const out: number[] = [];
  let sum = 0;
  values.forEach((v, i) => {
    sum += v;
    if (i >= window) sum -= values[i - window]!;
    out.push(sum / Math.min(i + 1, window));
  });
  return out;
}

/** A lane's smoothed loss at `seconds` of its own training (null before its first step or after its last). */
export function lossAtSeconds(lane: RaceLane, seconds: number): number | null {
  const i = lane.seconds.findLastIndex((s) => s <= seconds);
  if (i < 0 || lane.seconds.at(-1)! < seconds - 1e-9) return null;
  return smooth(lane.losses.slice(0, i + 1)).at(-1) ?? null;
}

export interface RaceGap {
  /** Smoothed MoE loss minus smoothed dense loss after the same steps (negative: the MoE is ahead). */
  perStep: number;
  steps: number;
  /** The same, at the time the faster of the two needed for its steps. */
  perSecond: number | null;
  seconds: number;
}

/** The MoE against the equal-active dense lane, once both have losses. */
export function raceGap(lanes: readonly RaceLane[]): RaceGap | null {
  const moe = lanes.find((l) => l.id === 'moe');
  const dense = lanes.find((l) => l.id === 'dense');
  if (!moe || !dense || moe.losses.length === 0 || dense.losses.length === 0) return null;
  const steps = Math.min(moe.losses.length, dense.losses.length);
  const perStep = smooth(moe.losses.slice(0, steps)).at(-1)! - smooth(dense.losses.slice(0, steps)).at(-1)!;
  const seconds = Math.min(moe.seconds[steps - 1]!, dense.seconds[steps - 1]!);
  const [m, d] = [lossAtSeconds(moe, seconds), lossAtSeconds(dense, seconds)];
  return { perStep, steps, perSecond: m === null || d === null ? null : m - d, seconds };
}
