import { describe, expect, it } from 'vitest';
import { batchAt, concatDocuments, evalBatches, randomBatch } from '../../models/text/batches.ts';

describe('concatDocuments', () => {
  it('puts the end-of-text token after every document and records where each starts', () => {
    const { tokens, starts } = concatDocuments([[5, 6], [7], [8, 9, 10]], 0);
    expect([...tokens]).toEqual([5, 6, 0, 7, 0, 8, 9, 10, 0]);
    expect(starts).toEqual([0, 3, 5]);
  });
});

describe('batchAt', () => {
  it('cuts windows of seqLen + 1: targets are the inputs shifted by one', () => {
    const stream = Int32Array.from({ length: 20 }, (_, i) => i);
    const b = batchAt(stream, [0, 10], 4);
    expect([...b.inputs]).toEqual([0, 1, 2, 3, 10, 11, 12, 13]);
    expect([...b.targets]).toEqual([1, 2, 3, 4, 11, 12, 13, 14]);
    expect(() => batchAt(stream, [16], 4)).toThrow(/runs past/);
  });
});

describe('randomBatch', () => {
  const stream = Int32Array.from({ length: 1000 }, (_, i) => i);
  const config = { batchSize: 8, seqLen: 16, seed: 1 };
  it('is a pure function of (seed, step)', () => {
    expect(randomBatch(stream, 3, config)).toEqual(randomBatch(stream, 3, config));
    expect(randomBatch(stream, 3, config).offsets).not.toEqual(randomBatch(stream, 4, config).offsets);
    expect(randomBatch(stream, 3, config).offsets).not.toEqual(randomBatch(stream, 3, { ...config, seed: 2 }).offsets);
  });
  it('stays inside the stream and reaches both ends over many steps', () => {
    let min = Infinity;
    let max = -Infinity;
    for (let step = 0; step < 500; step++) {
      for (const o of randomBatch(stream, step, config).offsets) {
        min = Math.min(min, o);
        max = Math.max(max, o);
      }
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1000 - 17);
    expect(min).toBeLessThan(10);
    expect(max).toBeGreaterThan(1000 - 30);
  });
  it('explains a stream shorter than one window', () => {
    expect(() => randomBatch(new Int32Array(10), 0, config)).toThrow(/fewer than one window/);
  });
});

describe('evalBatches', () => {
  const stream = Int32Array.from({ length: 101 }, (_, i) => i);
  it('covers the stream with non-overlapping windows, the last batch possibly smaller', () => {
    const batches = evalBatches(stream, 4, 10);
    expect(batches.map((b) => b.batchSize)).toEqual([4, 4, 2]);
    expect(batches.flatMap((b) => b.offsets)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  });
  it('spreads a capped number of windows over the whole stream', () => {
    expect(evalBatches(stream, 8, 10, 3).flatMap((b) => b.offsets)).toEqual([0, 30, 60]);
  });
});
