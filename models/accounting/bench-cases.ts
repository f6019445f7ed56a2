// The browser benchmark of lesson "Why sparse is cheaper": which (N, K) cases it runs, and how their
// results become the chart series and the summary sentences. Pure data, no tfjs: the widget imports this
// on the page's main thread, while the timing itself (models/accounting/bench.ts) runs in the engine's worker.
import type { BenchCase, BenchResult, Timing } from './bench.ts';
import { checkK } from '../moe/check-k.ts';

/**
 * The two sweeps: N at fixed K (K ≤ N, so N = 1 runs K = 1), and K at fixed N. Layer sizes are those of
 * `npm run bench:moe`, so the reader's numbers can be set beside the README's.
 */
export const SWEEP = {
  experts: [1, 2, 4, 8, 16, 32],
  topK: 2,
  kExperts: 8,
  topKs: [1, 2, 4, 8],
  dModel: 64,
  dHidden: 128,
} as const;

/**
 * The three implementations in the order the charts draw them and bench.ts measures them. Declared here,
 * not in bench.ts, because importing a value from bench.ts would pull tfjs onto the page.
 */
export const SERIES = ['sparse', 'masked', 'dense'] as const;
export type Implementation = (typeof SERIES)[number];

/** What a chart plots: forward time (inference) or forward + backward (one training step). */
export type Pass = 'forward' | 'training';

export interface SweepOptions {
  tokens: number;
  pass: Pass;
  reps: number;
  warmup: number;
}

/** K used at N in the N sweep. */
export function sweepTopK(numExperts: number): number {
  return Math.min(SWEEP.topK, numExperts);
}

/** Every case of both sweeps, each (N, K) once (N = 8, K = 2 belongs to both), the N sweep first. */
export function sweepCases(options: SweepOptions): BenchCase[] {
  const pairs: Array<[number, number]> = [
    ...SWEEP.experts.map((n): [number, number] => [n, sweepTopK(n)]),
    ...SWEEP.topKs.map((k): [number, number] => [SWEEP.kExperts, k]),
  ];
  const seen = new Set<string>();
  const cases: BenchCase[] = [];
  for (const [numExperts, topK] of pairs) {
    const key = `${numExperts}/${topK}`;
    if (seen.has(key)) continue;
    seen.add(key);
    cases.push({
      numExperts,
      topK,
      tokens: options.tokens,
      dModel: SWEEP.dModel,
      dHidden: SWEEP.dHidden,
      reps: options.reps,
      warmup: options.warmup,
      backward: options.pass === 'training',
    });
  }
  return cases;
}

/** The median time a chart shows for one implementation: NaN when that pass was not measured. */
export function passMs(timing: Timing, pass: Pass): number {
  return pass === 'forward' ? timing.fwdMs : timing.fwdBwdMs;
}

export type Sweep = 'experts' | 'topK';

/** Whether a result belongs to a sweep. */
function inSweep(result: BenchResult, sweep: Sweep): boolean {
  return sweep === 'experts'
    ? result.topK === sweepTopK(result.numExperts)
    : result.numExperts === SWEEP.kExperts && (SWEEP.topKs as readonly number[]).includes(result.topK);
}

/** One point of a chart: `x` is N or K, `value` milliseconds or megabytes. */
export interface SeriesPoint {
  x: number;
  impl: Implementation;
  value: number;
}

/** The sweep's results as points, sorted by x, skipping values that were not measured. */
function points(results: readonly BenchResult[], sweep: Sweep, value: (t: Timing) => number): SeriesPoint[] {
  return results
    .filter((r) => inSweep(r, sweep))
    .sort((a, b) => (sweep === 'experts' ? a.numExperts - b.numExperts : a.topK - b.topK))
    .flatMap((r) =>
      SERIES.map((impl) => ({ x: sweep === 'experts' ? r.numExperts : r.topK, impl, value: value(r[impl]) })),
    )
    .filter((p) => Number.isFinite(p.value));
}

/** Milliseconds per batch against N (at K = min(2, N)) or against K (at N = 8). */
export function timeSeries(results: readonly BenchResult[], sweep: Sweep, pass: Pass): SeriesPoint[] {
  return points(results, sweep, (t) => passMs(t, pass));
}

/** Peak memory of a forward pass, in MB (10⁶ bytes, the site's unit), against N: weights, input and activations. */
export function memorySeries(results: readonly BenchResult[]): SeriesPoint[] {
  return points(results, 'experts', (t) => t.peakBytes / 1e6);
}

/** What the N sweep says, in numbers the widget puts into sentences. */
export interface ExpertsSummary {
  /** The smallest and largest N measured with the sweep's K (N = 1 runs K = 1, so it is left out). */
  fromN: number;
  toN: number;
  /** Time at toN ÷ time at fromN, for each implementation. */
  growth: Record<Implementation, number>;
  /** Dense-masked ÷ sparse at toN: how much the sparse layer saves over computing every expert. */
  maskedOverSparse: number;
  /**
   * The N > K at which sparse was not faster than dense-masked, in increasing order. N = K is left out:
   * every token uses every expert there, so there is nothing to skip and sparse can only add routing work.
   */
  sparseNotFaster: number[];
}

/** Null until at least two N with K = 2 have been measured. */
export function summariseExperts(results: readonly BenchResult[], pass: Pass): ExpertsSummary | null {
  const rows = results
    .filter((r) => inSweep(r, 'experts') && r.topK === SWEEP.topK && Number.isFinite(passMs(r.sparse, pass)))
    .sort((a, b) => a.numExperts - b.numExperts);
  const first = rows[0];
  const last = rows.at(-1);
  if (!first || !last || rows.length < 2) return null;
  const ratio = (impl: Implementation): number => passMs(last[impl], pass) / passMs(first[impl], pass);
  return {
    fromN: first.numExperts,
    toN: last.numExperts,
    growth: { sparse: ratio('sparse'), masked: ratio('masked'), dense: ratio('dense') },
    maskedOverSparse: passMs(last.masked, pass) / passMs(last.sparse, pass),
    sparseNotFaster: rows
      .filter((r) => r.numExperts > r.topK && passMs(r.sparse, pass) >= passMs(r.masked, pass))
      .map((r) => r.numExperts),
  };
}

/**
 * Expected number of distinct experts a batch of `tokens` tokens touches in one layer, if each token picked
 * its K of N experts uniformly at random: N · (1 − (1 − K/N)^tokens). Each expert is missed by one token with
 * probability 1 − K/N. An idealisation (real routers are neither uniform nor independent), used by the
 * lesson to show how quickly every expert's weights must be read from memory on every step.
 */
export function expectedExpertsTouched(numExperts: number, topK: number, tokens: number): number {
  checkK(topK, numExperts);
  return numExperts * (1 - (1 - topK / numExperts) ** tokens);
}
