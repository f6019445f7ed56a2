// Kernels that replace or extend stock tfjs 4.22 ones for a sparse MoE (installed by patchKernels).
// Measured on wasm in Node, 2 cores (see the issue 3 report for the full numbers):
//  - UnsortedSegmentSum (the gradient of tf.gather): missing on wasm; O(segments × size) on cpu
//    (22 s for a [2048, 64] gradient). Ours is one pass: ~0.3 ms.
//  - GatherV2 on wasm walks strides element by element: 4 ms for 2048 rows of 64 floats; row copies ~0.5 ms.
//  - BatchMatMul on wasm calls XNNPACK only for batch 1 without transposes and otherwise runs a naive
//    loop ~10× slower. Ours transposes explicitly and folds the batch into rows (or loops over it), and
//    keeps x·Wᵀ's transposed weight between calls so XNNPACK need not repack it every time.
//  - Identity and same-dtype Cast on wasm copy the whole buffer. The engine clones every tensor it saves
//    for the backward pass, so each taped op copied its inputs. Ours share the buffer (refcounted), as
//    the cpu backend and wasm's own Reshape already do; tfjs tensors are immutable, so sharing is safe.
//  - GroupedMatMul (new): every expert's matmul in one kernel call, on views into one row-sorted tensor,
//    so N experts cost N XNNPACK calls instead of N × (split + matmul + concat) tfjs ops.
// Everything here uses tfjs APIs only (no Node), so the browser worker installs the same kernels.

import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Name of the grouped matmul kernel (wasm only; models/moe/grouped-matmul.ts composes it elsewhere). */
export const GROUPED_MATMUL = 'MoeGroupedMatMul';

/**
 * The three products a grouped linear layer needs, each over row blocks xₑ of sizes `groupSizes`:
 * 'xWt' yₑ = xₑ·Wₑᵀ (forward), 'xW' yₑ = xₑ·Wₑ (input gradient), 'dW' Wₑ' = xₑᵀ·zₑ (weight gradients).
 */
export type GroupedMode = 'xWt' | 'xW' | 'dW';

/** The kernels `patchKernels` installs; the stock kernels they wrap must already be registered. */
export function kernelPatches(): KernelConfig[] {
  stockWasmMatMul = stockKernel('BatchMatMul', 'wasm');
  stockWasmGather = stockKernel('GatherV2', 'wasm');
  stockWasmCast = stockKernel('Cast', 'wasm');
  const transpose = stockKernel('Transpose', 'wasm');
  stockWasmTranspose = (backend, x, perm) => transpose({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
  return [
    { kernelName: 'Identity', backendName: 'wasm', kernelFunc: wasmShare as KernelFunc },
    { kernelName: 'Cast', backendName: 'wasm', kernelFunc: wasmCast as KernelFunc },
    { kernelName: 'UnsortedSegmentSum', backendName: 'cpu', kernelFunc: cpuSegmentSum as KernelFunc },
    { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: wasmSegmentSum as KernelFunc },
    { kernelName: 'GatherV2', backendName: 'wasm', kernelFunc: wasmGatherRows as KernelFunc },
    { kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: wasmMatMul as KernelFunc },
    { kernelName: GROUPED_MATMUL, backendName: 'wasm', kernelFunc: wasmGroupedMatMul as KernelFunc },
  ];
}

/**
 * The registered kernel, to call from ours. Once we replace a kernel the engine no longer runs its
 * setupFunc (wasm kernels bind their C function there), so it is run here, once per backend instance.
 */
function stockKernel(kernelName: string, backendName: string): KernelFunc {
  const config = tf.getKernel(kernelName, backendName);
  if (config === undefined) throw new Error(`The ${backendName} backend registered no ${kernelName} kernel to patch.`);
  const setUp = new WeakSet<object>();
  return (args) => {
    if (config.setupFunc !== undefined && !setUp.has(args.backend)) {
      config.setupFunc(args.backend);
      setUp.add(args.backend);
    }
    return config.kernelFunc(args);
  };
}

type KernelArgs = Parameters<KernelFunc>[0];

// ---------------------------------------------------------------------------------------------------------------
// Identity / Cast to the same dtype on wasm: a new reference to the same buffer instead of a copy.

interface ShareArgs {
  inputs: { x: TensorInfo };
  backend: BackendWasm;
  attrs?: { dtype?: string };
}

let stockWasmCast: KernelFunc | undefined;

function wasmShare(args: ShareArgs): TensorInfo {
  const { x } = args.inputs;
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function wasmCast(args: ShareArgs): TensorInfo {
  if (args.attrs?.dtype === args.inputs.x.dtype) return wasmShare(args);
  return stockWasmCast!(args as unknown as KernelArgs) as TensorInfo;
}

// ---------------------------------------------------------------------------------------------------------------
// UnsortedSegmentSum: out[segmentIds[i], ...] += x[i, ...], one pass over x.

interface SegmentSumArgs {
  inputs: { x: TensorInfo; segmentIds: TensorInfo };
  attrs: { numSegments: number };
}

function segmentSumShape(x: TensorInfo, segmentIds: TensorInfo, numSegments: number): number[] {
  return [numSegments, ...x.shape.slice(segmentIds.shape.length)];
}

/** Sums rows of x into a zeroed `out`; ids outside [0, numSegments) are dropped, as in TensorFlow. */
function segmentSumInto(out: Float32Array | Int32Array, x: ArrayLike<number>, ids: ArrayLike<number>): void {
  out.fill(0);
  const rows = ids.length;
  const inner = rows === 0 ? 0 : x.length / rows;
  const numSegments = out.length / Math.max(inner, 1);
  for (let i = 0; i < rows; i++) {
    const s = ids[i]!;
    if (!(s >= 0 && s < numSegments)) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) out[dst + j]! += x[src + j]!;
  }
}

function cpuSegmentSum(args: SegmentSumArgs & { backend: MathBackendCPU }): TensorInfo {
  const { x, segmentIds } = args.inputs;
  const backend = args.backend;
  const shape = segmentSumShape(x, segmentIds, args.attrs.numSegments);
  const size = tf.util.sizeFromShape(shape);
  const out = x.dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
  const xs = backend.data.get(x.dataId)!.values as ArrayLike<number>;
  const ids = backend.data.get(segmentIds.dataId)!.values as ArrayLike<number>;
  segmentSumInto(out, xs, ids);
  return backend.makeTensorInfo(shape, x.dtype, out);
}

function wasmSegmentSum(args: SegmentSumArgs & { backend: BackendWasm }): TensorInfo {
  const { x, segmentIds } = args.inputs;
  const backend = args.backend;
  const out = backend.makeOutput(segmentSumShape(x, segmentIds, args.attrs.numSegments), x.dtype);
  // Views are taken after makeOutput: an allocation may grow the wasm heap and detach older views.
  const outView = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  segmentSumInto(outView, backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(segmentIds));
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// wasm GatherV2 along axis 0: out[i, ...] = x[indices[i], ...] as whole-row copies; other cases go to stock.

interface GatherArgs {
  inputs: { x: TensorInfo; indices: TensorInfo };
  backend: BackendWasm;
  attrs: { axis: number; batchDims: number };
}

let stockWasmGather: KernelFunc | undefined;

function wasmGatherRows(args: GatherArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, indices } = inputs;
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
  if (axis !== 0 || attrs.batchDims !== 0 || x.dtype === 'string' || x.dtype === 'complex64') {
    return stockWasmGather!(args as unknown as KernelArgs) as TensorInfo;
  }
  const rows = x.shape[0]!;
  for (const r of backend.typedArrayFromHeap(indices)) {
    if (!(r >= 0 && r < rows)) throw new Error(`GatherV2: the index value ${r} is not in [0, ${rows - 1}]`);
  }
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
  const src = backend.typedArrayFromHeap(x);
  const idx = backend.typedArrayFromHeap(indices);
  const dst = backend.typedArrayFromHeap(out);
  const inner = tf.util.sizeFromShape(x.shape.slice(1));
  for (let i = 0; i < idx.length; i++) {
    const from = idx[i]! * inner;
    const to = i * inner;
    for (let j = 0; j < inner; j++) dst[to + j] = src[from + j]!;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// wasm matmuls through XNNPACK. The wasm module's C function 'BatchMatMul' takes tensor ids and rank-3
// shapes; it uses XNNPACK only for [1, m, k] × [1, k, n] and caches XNNPACK's packed weights per id of b.

type XnnMatMul = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: number,
  transposeB: number,
  outId: number,
) => void;

const xnnMatMuls = new WeakMap<BackendWasm, XnnMatMul>();

/** out[m, n] = a[m, k] · b[k, n] for tensors (or views) already registered with the wasm module. */
function xnnMatMul(
  backend: BackendWasm,
  a: TensorInfo | number,
  b: TensorInfo | number,
  out: TensorInfo,
  m: number,
  k: number,
  n: number,
): void {
  const id = (t: TensorInfo | number): number => (typeof t === 'number' ? t : wasmId(backend, t));
  let fn = xnnMatMuls.get(backend);
  if (fn === undefined) {
    // cwrap is Emscripten's; the wasm module's published type omits it.
    const module = backend.wasm as unknown as { cwrap: (name: string, ret: null, args: string[]) => XnnMatMul };
    fn = module.cwrap('BatchMatMul', null, [
      'number',
      'array',
      'number',
      'number',
      'array',
      'number',
      'number',
      'number',
      'number',
    ]);
    xnnMatMuls.set(backend, fn);
  }
  const shape = (rows: number, cols: number): Uint8Array => new Uint8Array(new Int32Array([1, rows, cols]).buffer);
  fn(id(a), shape(m, k), 3, id(b), shape(k, n), 3, 0, 0, id(out));
}

function wasmId(backend: BackendWasm, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.id;
}

/** A [rows, cols] float32 tensor over `rows × cols` floats of `t`, starting at row `row` (no copy). */
function heapView(backend: BackendWasm, t: TensorInfo, row: number, rows: number, cols: number): TensorInfo {
  const offset = backend.dataIdMap.get(t.dataId)!.memoryOffset + row * cols * 4;
  return backend.makeOutput([rows, cols], 'float32', offset);
}

/** Forgets a heapView without freeing memory it does not own (this also drops XNNPACK's cache for it). */
function dropHeapView(backend: BackendWasm, view: TensorInfo): void {
  backend.wasm.tfjs.disposeData(wasmId(backend, view));
  backend.dataIdMap.delete(view.dataId);
}

let stockWasmTranspose: ((backend: BackendWasm, x: TensorInfo, perm: number[]) => TensorInfo) | undefined;

/** Swaps the last two axes with the stock wasm Transpose kernel; the caller disposes the result. */
function swapLastAxes(backend: BackendWasm, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
  return stockWasmTranspose!(backend, x, perm);
}

// Transposed weights, cached. XNNPACK packs a matmul's right-hand matrix once per tensor id and reuses
// that packing while the id lives. y = x·Wᵀ with W in nn.Linear layout needs Wᵀ; a fresh transpose per
// call is a fresh id and a full repack, ~70 µs per expert matmul here, which made forward time grow
// with N. So each weight buffer keeps one transposed copy (outside tfjs's tensor accounting, same size
// as the weight) that is freed when tfjs frees the weight. Weights are immutable per buffer (training
// replaces the buffer), so a copy can never go stale.

interface TransposedCopy {
  id: number;
  memoryOffset: number;
}

const transposedCopies = new WeakMap<BackendWasm, Map<object, TransposedCopy>>();

/** The wasm tensor id of Wᵀ for a [rows, cols] weight W, made on first use. */
function cachedTranspose(backend: BackendWasm, w: TensorInfo): number {
  let copies = transposedCopies.get(backend);
  if (copies === undefined) {
    copies = new Map();
    transposedCopies.set(backend, copies);
    freeCopiesWithTheirWeights(backend, copies);
  }
  let copy = copies.get(w.dataId);
  if (copy === undefined) {
    const t = swapLastAxes(backend, w);
    const data = backend.dataIdMap.get(t.dataId)!;
    backend.dataIdMap.delete(t.dataId); // ours now: tfjs neither counts nor frees it
    copy = { id: data.id, memoryOffset: data.memoryOffset };
    copies.set(w.dataId, copy);
  }
  return copy.id;
}

function freeCopiesWithTheirWeights(backend: BackendWasm, copies: Map<object, TransposedCopy>): void {
  const disposeData = backend.disposeData.bind(backend);
  backend.disposeData = (dataId: object, force?: boolean): boolean => {
    const freed = disposeData(dataId, force);
    const copy = freed ? copies.get(dataId) : undefined;
    if (copy !== undefined) {
      copies.delete(dataId);
      backend.wasm.tfjs.disposeData(copy.id); // also drops XNNPACK's packed weights for it
      (backend.wasm as unknown as { _free: (offset: number) => void })._free(copy.memoryOffset);
    }
    return freed;
  };
}

interface MatMulArgs {
  inputs: { a: TensorInfo; b: TensorInfo };
  backend: BackendWasm;
  attrs: { transposeA: boolean; transposeB: boolean };
}

let stockWasmMatMul: KernelFunc | undefined;

function wasmMatMul(args: MatMulArgs): TensorInfo {
  const { backend, attrs } = args;
  let { a, b } = args.inputs;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  const sameOuter = outerA.length === outerB.length && outerA.every((s, i) => s === outerB[i]);
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || !(batchB === 1 || sameOuter)) {
    return stockWasmMatMul!(args as unknown as KernelArgs) as TensorInfo;
  }
  const temps: TensorInfo[] = [];
  try {
    if (attrs.transposeA) temps.push((a = swapLastAxes(backend, a)));
    // x·Wᵀ with a 2-D right-hand side is a linear layer's weight: use its cached transpose.
    const weightT = attrs.transposeB && b.shape.length === 2 ? cachedTranspose(backend, b) : undefined;
    if (weightT !== undefined) b = { ...b, shape: [b.shape[1]!, b.shape[0]!] };
    else if (attrs.transposeB) temps.push((b = swapLastAxes(backend, b)));
    const [m, k] = a.shape.slice(-2) as [number, number];
    const [kb, n] = b.shape.slice(-2) as [number, number];
    if (k !== kb) throw new Error(`matMul inner sizes differ: [.., ${m}, ${k}] × [.., ${kb}, ${n}].`);
    const out = backend.makeOutput([...tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB), m, n], 'float32');
    if (batchB === 1) {
      // One right-hand matrix for every batch: fold the batch into rows, a single XNNPACK call.
      xnnMatMul(backend, a, weightT ?? b, out, batchA * m, k, n);
      return out;
    }
    // A matrix per batch: one XNNPACK call per batch, on views into the operands.
    for (let i = 0; i < batchA; i++) {
      const views = [
        heapView(backend, a, i * m, m, k),
        heapView(backend, b, i * k, k, n),
        heapView(backend, out, i * m, m, n),
      ];
      xnnMatMul(backend, views[0]!, views[1]!, views[2]!, m, k, n);
      for (const v of views) dropHeapView(backend, v);
    }
    return out;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// GroupedMatMul on wasm. Inputs: `x` [rows, ·] sorted by group, `y` (mode 'dW' only) [rows, ·], and one
// weight per group `w0` … `w{G-1}` [out, in] ('xWt', 'xW'; nn.Linear layout). Empty groups are skipped.

interface GroupedArgs {
  inputs: Record<string, TensorInfo>;
  backend: BackendWasm;
  attrs: { groupSizes: number[]; mode: GroupedMode };
}

function wasmGroupedMatMul(args: GroupedArgs): TensorInfo | TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { groupSizes, mode } = attrs;
  const x = inputs.x!;
  const cols = x.shape[1]!;
  if (mode === 'dW') {
    // Wₑ' = xₑᵀ·yₑ: [cols, outCols] per group, zeros for a group with no rows.
    const y = inputs.y!;
    const outCols = y.shape[1]!;
    let row = 0;
    return groupSizes.map((rows) => {
      const out = backend.makeOutput([cols, outCols], 'float32');
      if (rows === 0) {
        backend.typedArrayFromHeap(out).fill(0);
        return out;
      }
      const xv = heapView(backend, x, row, rows, cols);
      const yv = heapView(backend, y, row, rows, outCols);
      const xT = swapLastAxes(backend, xv); // [cols, rows]
      xnnMatMul(backend, xT, yv, out, cols, rows, outCols);
      backend.disposeData(xT.dataId);
      dropHeapView(backend, xv);
      dropHeapView(backend, yv);
      row += rows;
      return out;
    });
  }
  // 'xWt': yₑ = xₑ·Wₑᵀ with Wₑ [outCols, cols]; 'xW': yₑ = xₑ·Wₑ with Wₑ [cols, outCols].
  const w0 = inputs.w0!;
  const outCols = mode === 'xWt' ? w0.shape[0]! : w0.shape[1]!;
  const out = backend.makeOutput([x.shape[0]!, outCols], 'float32');
  let row = 0;
  groupSizes.forEach((rows, g) => {
    if (rows === 0) return;
    const w = inputs[`w${g}`]!;
    // Stable ids across calls, so XNNPACK's packed weights are reused: W itself, or its cached transpose.
    const b = mode === 'xWt' ? cachedTranspose(backend, w) : w;
    const xv = heapView(backend, x, row, rows, cols);
    const ov = heapView(backend, out, row, rows, outCols);
    xnnMatMul(backend, xv, b, ov, rows, cols, outCols);
    dropHeapView(backend, xv);
    dropHeapView(backend, ov);
    row += rows;
  });
  return out;
}
