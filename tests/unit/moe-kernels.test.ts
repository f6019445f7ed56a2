// Our kernel patches (models/runtime/kernels.ts) and the grouped matmul against plain-JS references.

import { expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { groupedMatMul } from '../../models/moe/grouped-matmul.ts';
import { describeBackends, maxAbsDiff, values } from './tf-backends.ts';

/** Deterministic numbers in [-1, 1). */
function randomArray(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

/** a[m, k] · b[k, n] on plain arrays, row-major. */
function matMulRef(a: number[], b: number[], m: number, k: number, n: number): number[] {
  const out = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) out[i * n + j]! += a[i * k + p]! * b[p * n + j]!;
  return out;
}

function transposeRef(a: number[], rows: number, cols: number): number[] {
  return Array.from({ length: rows * cols }, (_, i) => a[(i % rows) * cols + Math.floor(i / rows)]!);
}

describeBackends('kernels', (backend) => {
  it('unsortedSegmentSum adds rows into their segments and drops out-of-range ids', () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    const out = tf.unsortedSegmentSum(x, tf.tensor1d([2, 0, 2, -1], 'int32'), 3);
    expect(values(out)).toEqual([3, 4, 0, 0, 6, 8]);
    tf.dispose([x, out]);
  });

  it('gather copies rows along axis 0, falls back to the stock kernel on other axes, and checks indices', () => {
    tf.tidy(() => {
      const x = tf.tensor2d([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      expect(values(tf.gather(x, tf.tensor1d([1, 1, 0], 'int32')))).toEqual([4, 5, 6, 4, 5, 6, 1, 2, 3]);
      expect(values(tf.gather(x, tf.tensor1d([2, 0], 'int32'), 1))).toEqual([3, 1, 6, 4]);
      expect(values(tf.gather(tf.tensor1d([7, 8, 9]), tf.tensor1d([2, 0], 'int32')))).toEqual([9, 7]);
      expect(() => tf.gather(x, tf.tensor1d([2], 'int32')).dataSync()).toThrow(/index value 2 is not in \[0, 1\]/);
      // The gradient of gather is a segment sum (wasm had none before the patch).
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, tf.tensor1d([0, 2, 2], 'int32'))))(tf.ones([3, 2]));
      expect(values(g)).toEqual([1, 1, 0, 0, 2, 2]);
    });
  });

  it('matMul matches a reference for every transpose, batched, and broadcast case', () => {
    tf.tidy(() => {
      const [m, k, n] = [5, 7, 3];
      const a = randomArray(m * k, 1);
      const b = randomArray(k * n, 2);
      const want = matMulRef(a, b, m, k, n);
      const at = tf.tensor2d(transposeRef(a, m, k), [k, m]);
      const bt = tf.tensor2d(transposeRef(b, k, n), [n, k]);
      const a2 = tf.tensor2d(a, [m, k]);
      const b2 = tf.tensor2d(b, [k, n]);
      expect(maxAbsDiff(values(tf.matMul(a2, b2)), want)).toBeLessThan(1e-5);
      expect(maxAbsDiff(values(tf.matMul(at, b2, true, false)), want)).toBeLessThan(1e-5);
      expect(maxAbsDiff(values(tf.matMul(a2, bt, false, true)), want)).toBeLessThan(1e-5);
      expect(maxAbsDiff(values(tf.matMul(at, bt, true, true)), want)).toBeLessThan(1e-5);
      // A batch of 3 distinct pairs, with transposes.
      const as = [0, 1, 2].map((i) => randomArray(m * k, 10 + i));
      const bs = [0, 1, 2].map((i) => randomArray(k * n, 20 + i));
      const batched = tf.matMul(
        tf.tensor3d(
          as.flatMap((x) => transposeRef(x, m, k)),
          [3, k, m],
        ),
        tf.tensor3d(bs.flat(), [3, k, n]),
        true,
        false,
      );
      expect(batched.shape).toEqual([3, m, n]);
      const wantBatched = as.flatMap((x, i) => matMulRef(x, bs[i]!, m, k, n));
      expect(maxAbsDiff(values(batched), wantBatched)).toBeLessThan(1e-5);
      // One right-hand matrix shared by a [2, 3] batch (folded into rows), and the reverse (stock path).
      const shared = tf.matMul(tf.tensor4d(as.concat(as).flat(), [2, 3, m, k]), b2);
      expect(shared.shape).toEqual([2, 3, m, n]);
      expect(
        maxAbsDiff(
          values(shared),
          as.concat(as).flatMap((x) => matMulRef(x, b, m, k, n)),
        ),
      ).toBeLessThan(1e-5);
      const reverse = tf.matMul(a2, tf.tensor3d(bs.flat(), [3, k, n]));
      expect(
        maxAbsDiff(
          values(reverse),
          bs.flatMap((y) => matMulRef(a, y, m, k, n)),
        ),
      ).toBeLessThan(1e-5);
    });
  });

  it('x·Wᵀ never sees a stale cached transpose of a weight that changed', () => {
    const [m, k, n] = [4, 6, 5];
    const xData = randomArray(m * k, 7);
    const x = tf.tensor2d(xData, [m, k]);
    const w = tf.variable(tf.tensor2d(randomArray(n * k, 8), [n, k]));
    for (let step = 0; step < 3; step++) {
      const wData = randomArray(n * k, 20 + step);
      w.assign(tf.tensor2d(wData, [n, k]));
      const y = tf.matMul(x, w, false, true);
      expect(maxAbsDiff(values(y), matMulRef(xData, transposeRef(wData, n, k), m, k, n))).toBeLessThan(1e-5);
      const g = groupedMatMul(x, [w, w], [1, m - 1]);
      expect(maxAbsDiff(values(g), values(y))).toBeLessThan(1e-5);
      tf.dispose([y, g]);
    }
    tf.dispose([x, w]);
  });

  it.runIf(backend === 'wasm')('disposing weights frees their cached transposes', () => {
    // 200 weights of 1 MiB each, used once and disposed: the wasm heap must not grow by their copies.
    const heap = (): number => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
    const xs = tf.ones([2, 512]);
    tf.dispose(tf.matMul(xs, tf.ones([512, 512]), false, true));
    const before = heap();
    for (let i = 0; i < 200; i++) {
      const big = tf.fill([512, 512], i);
      tf.dispose([tf.matMul(xs, big, false, true), big]);
    }
    expect(heap() - before).toBeLessThan(32 * 2 ** 20);
    xs.dispose();
  });

  it('clone and same-dtype cast give independent tensors that outlive their source', () => {
    const x = tf.tensor1d([1, 2, 3]);
    const c = tf.clone(x);
    const d = tf.cast(x, 'float32');
    const i = tf.cast(x, 'int32');
    x.dispose();
    expect(values(c)).toEqual([1, 2, 3]);
    expect(values(d)).toEqual([1, 2, 3]);
    expect(i.dtype).toBe('int32');
    tf.dispose([c, d, i]);
  });

  it('groupedMatMul multiplies each row block by its own weight, with gradients, empty groups included', () => {
    const [inDim, outDim] = [6, 4];
    const sizes = [3, 0, 5, 1];
    const rows = sizes.reduce((s, v) => s + v, 0);
    const xData = randomArray(rows * inDim, 5);
    const wData = sizes.map((_, g) => randomArray(outDim * inDim, 40 + g)); // [out, in] each
    const dyData = randomArray(rows * outDim, 6);
    // Reference: yₑ = xₑ·Wₑᵀ; dxₑ = dyₑ·Wₑ; dWₑ = dyₑᵀ·xₑ.
    let start = 0;
    const want = { y: [] as number[], dx: [] as number[], dw: [] as number[][] };
    sizes.forEach((n, g) => {
      const xe = xData.slice(start * inDim, (start + n) * inDim);
      const dye = dyData.slice(start * outDim, (start + n) * outDim);
      want.y.push(...matMulRef(xe, transposeRef(wData[g]!, outDim, inDim), n, inDim, outDim));
      want.dx.push(...matMulRef(dye, wData[g]!, n, outDim, inDim));
      want.dw.push(matMulRef(transposeRef(dye, n, outDim), xe, outDim, n, inDim));
      start += n;
    });
    tf.tidy(() => {
      const x = tf.tensor2d(xData, [rows, inDim]);
      const ws = wData.map((w) => tf.tensor2d(w, [outDim, inDim]));
      const dy = tf.tensor2d(dyData, [rows, outDim]);
      expect(maxAbsDiff(values(groupedMatMul(x, ws, sizes)), want.y)).toBeLessThan(1e-5);
      const f = (...args: tf.Tensor[]): tf.Scalar =>
        tf.sum(tf.mul(groupedMatMul(args[0] as tf.Tensor2D, args.slice(1) as tf.Tensor2D[], sizes), dy));
      const [dx, ...dws] = tf.grads(f)([x, ...ws]);
      expect(maxAbsDiff(values(dx!), want.dx)).toBeLessThan(1e-5);
      sizes.forEach((n, g) => {
        // An expert that got no rows gets a zero gradient, or none at all from the composed fallback.
        const got = dws[g] === undefined ? new Array<number>(outDim * inDim).fill(0) : values(dws[g]!);
        expect(maxAbsDiff(got, want.dw[g]!), `group ${g} (${n} rows)`).toBeLessThan(1e-5);
      });
      expect(() => groupedMatMul(x, ws, [1, 2])).toThrow(/one weight per group/);
    });
  });
});
