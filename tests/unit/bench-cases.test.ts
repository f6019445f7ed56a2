import { describe, expect, it } from 'vitest';
import type { BenchResult, Timing } from '../../models/accounting/bench.ts';
import {
  expectedExpertsTouched,
  memorySeries,
  summariseExperts,
  sweepCases,
  sweepTopK,
  timeSeries,
} from '../../models/accounting/bench-cases.ts';

const OPTIONS = { tokens: 512, pass: 'forward', reps: 5, warmup: 1 } as const;

/** A timing whose forward median is `fwd` ms; forward + backward three times that (Kaplan's rule), when measured. */
function timing(fwd: number, peakMB = 1, withBackward = true): Timing {
  const fwdBwd = withBackward ? 3 * fwd : NaN;
  return { fwdMs: fwd, fwdBwdMs: fwdBwd, fwdMinMs: fwd, fwdBwdMinMs: fwdBwd, peakBytes: peakMB * 1e6 };
}

function result(numExperts: number, topK: number, sparse: number, masked: number, dense: number): BenchResult {
  return {
    numExperts,
    topK,
    sparse: timing(sparse, numExperts),
    masked: timing(masked, 2 * numExperts),
    dense: timing(dense, 0.5),
  };
}

describe('the benchmark sweeps', () => {
  it('lists N 1…32 at K = 2 (K = 1 for N = 1), then K 1, 4, 8 at N = 8, each pair once', () => {
    const pairs = sweepCases(OPTIONS).map((c) => [c.numExperts, c.topK]);
    expect(pairs).toEqual([
      [1, 1],
      [2, 2],
      [4, 2],
      [8, 2],
      [16, 2],
      [32, 2],
      [8, 1],
      [8, 4],
      [8, 8],
    ]);
    expect(sweepTopK(1)).toBe(1);
  });

  it('carries the reader’s tokens, repetitions and pass into every case', () => {
    const forward = sweepCases(OPTIONS);
    expect(forward.every((c) => c.tokens === 512 && c.reps === 5 && c.warmup === 1 && !c.backward)).toBe(true);
    expect(forward.every((c) => c.dModel === 64 && c.dHidden === 128)).toBe(true);
    expect(sweepCases({ ...OPTIONS, pass: 'training' }).every((c) => c.backward)).toBe(true);
  });
});

describe('chart series', () => {
  // Results in the order the engine streams them, partial: the K sweep has only K = 1 so far.
  const results = [
    result(1, 1, 2, 2, 1),
    result(2, 2, 4, 5, 3),
    result(4, 2, 4, 9, 3),
    result(8, 2, 5, 17, 3),
    result(8, 1, 3, 16, 2),
  ];

  it('puts N-sweep rows against N, sorted, and leaves out the K sweep’s extra rows', () => {
    const sparse = timeSeries(results, 'experts', 'forward').filter((p) => p.impl === 'sparse');
    expect(sparse.map((p) => [p.x, p.value])).toEqual([
      [1, 2],
      [2, 4],
      [4, 4],
      [8, 5],
    ]);
  });

  it('puts K-sweep rows at N = 8 against K, sorted', () => {
    const masked = timeSeries(results, 'topK', 'forward').filter((p) => p.impl === 'masked');
    expect(masked.map((p) => [p.x, p.value])).toEqual([
      [1, 16],
      [2, 17],
    ]);
  });

  it('plots the training pass when asked, and nothing for a pass that was not measured', () => {
    expect(timeSeries(results, 'experts', 'training').find((p) => p.x === 8 && p.impl === 'dense')?.value).toBe(9);
    const forwardOnly = [{ ...result(2, 2, 4, 5, 3), sparse: timing(4, 1, false) }];
    expect(timeSeries(forwardOnly, 'experts', 'training').map((p) => p.impl)).toEqual(['masked', 'dense']);
  });

  it('reports peak memory in MB (10⁶ bytes) against N', () => {
    const memory = memorySeries(results).filter((p) => p.impl === 'masked');
    expect(memory.map((p) => [p.x, p.value])).toEqual([
      [1, 2],
      [2, 4],
      [4, 8],
      [8, 16],
    ]);
  });
});

describe('the N-sweep summary', () => {
  it('is null until two N at K = 2 are measured', () => {
    expect(summariseExperts([], 'forward')).toBeNull();
    expect(summariseExperts([result(1, 1, 2, 2, 1), result(2, 2, 4, 5, 3)], 'forward')).toBeNull();
  });

  it('compares the largest N with the smallest, leaving out N = 1 (which runs K = 1)', () => {
    const s = summariseExperts(
      [result(1, 1, 1, 1, 1), result(2, 2, 4, 5, 3), result(4, 2, 4, 9, 3), result(32, 2, 8, 80, 3)],
      'forward',
    );
    expect(s).toMatchObject({ fromN: 2, toN: 32, maskedOverSparse: 10, sparseNotFaster: [] });
    expect(s?.growth).toEqual({ sparse: 2, masked: 16, dense: 1 });
  });

  it('names the N > K where sparse was not faster than dense-masked', () => {
    const s = summariseExperts(
      [result(2, 2, 6, 5, 3), result(4, 2, 9, 9, 3), result(8, 2, 11, 10, 3), result(16, 2, 10, 30, 3)],
      'forward',
    );
    // N = 2 = K is left out: with nothing to skip, sparse losing there is expected.
    expect(s?.sparseNotFaster).toEqual([4, 8]);
  });
});

describe('experts a batch touches', () => {
  it('is K for one token, and nears N as the batch grows', () => {
    expect(expectedExpertsTouched(8, 2, 1)).toBeCloseTo(2, 12);
    // 8 · (1 − 0.75⁴) = 5.47: four tokens already touch most of Mixtral's eight experts.
    expect(expectedExpertsTouched(8, 2, 4)).toBeCloseTo(5.46875, 12);
    expect(expectedExpertsTouched(8, 2, 64)).toBeGreaterThan(7.999);
    expect(expectedExpertsTouched(8, 8, 1)).toBe(8);
  });

  it('refuses a K outside 1…N with a sentence', () => {
    expect(() => expectedExpertsTouched(8, 9, 1)).toThrow(
      'K must be a whole number between 1 and the number of experts (8); got 9.',
    );
  });
});
