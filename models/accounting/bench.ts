// The MoE-layer benchmark's workloads and timing, shared by `npm run bench:moe` (Node) and the browser
// engine (lesson "Why sparse is cheaper"), so the reader's numbers come from the same code as ours.
//
// For one (N, K): the sparse layer, the dense-masked baseline (all N experts on every token, the
// unchosen ones zeroed) and a plain SwiGLU FFN as wide as K experts (the same active parameters).
import * as tf from '@tensorflow/tfjs-core';
import { linearWeight, swiGLU, type ExpertWeights } from '../moe/experts.ts';
import { initMoeParams, moeLayer, type MoeConfig, type MoeParams } from '../moe/moe-layer.ts';

import { SERIES, type Implementation } from './bench-cases.ts';

export type { Implementation };
/** Measured in the order the charts draw them: one list, declared in bench-cases.ts (which the page loads). */
export const IMPLEMENTATIONS = SERIES;

export interface BenchCase {
  numExperts: number;
  topK: number;
  tokens: number;
  dModel: number;
  dHidden: number;
  /** Timed runs per measurement (the median is reported) and untimed runs before them. */
  reps: number;
  warmup: number;
  /** Also time forward+backward (training); forward only otherwise. */
  backward: boolean;
}

export interface Timing {
  fwdMs: number;
  /** NaN when the case did not time the backward pass. */
  fwdBwdMs: number;
  /** Fastest runs: less disturbed by other work on a busy machine. */
  fwdMinMs: number;
  fwdBwdMinMs: number;
  /**
   * Peak memory of a forward pass: this implementation's own weights and the input, plus the most its
   * activations held at once. The other implementations' weights, alive at the same time, are not counted.
   */
  peakBytes: number;
}

export type BenchResult = { numExperts: number; topK: number } & Record<Implementation, Timing>;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;

/** Wall time of one run, waiting for the device to finish (`await data()`), then freeing its outputs. */
async function timeOnce(run: () => tf.Tensor[]): Promise<number> {
  const start = performance.now();
  const out = run();
  await out[0]?.data();
  const ms = performance.now() - start;
  tf.dispose(out);
  return ms;
}

/**
 * Yields to the event loop between rounds. On wasm and cpu, `data()` resolves without leaving the current
 * task, so without this a cancel message posted to the engine's worker could not arrive until a whole case
 * had finished. Outside the timed region, so it does not change the measurements.
 */
const nextTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Median and fastest times of several workloads, measured round-robin (one run of each per round) so a
 * burst of load from elsewhere hits all of them alike.
 */
export async function timeInterleaved(
  runs: Array<() => tf.Tensor[]>,
  reps: number,
  warmup: number,
  cancelled: () => boolean = () => false,
): Promise<Array<{ median: number; min: number }>> {
  for (let i = 0; i < warmup && !cancelled(); i++) {
    for (const run of runs) await timeOnce(run);
    await nextTask();
  }
  const samples = runs.map((): number[] => []);
  for (let r = 0; r < reps && !cancelled(); r++) {
    for (const [i, run] of runs.entries()) samples[i]!.push(await timeOnce(run));
    await nextTask();
  }
  return samples.map((xs) => ({ median: median(xs), min: Math.min(...xs) }));
}

/** Bytes of float32 tensors. */
const bytesOf = (tensors: tf.Tensor[]): number => tensors.reduce((sum, t) => sum + 4 * t.size, 0);

/** Peak bytes allocated during `run` beyond what was alive before it, plus `ownBytes` (its weights and input). */
async function peakBytes(run: () => tf.Tensor[], ownBytes: number): Promise<number> {
  const before = tf.memory().numBytes;
  let out: tf.Tensor[] = [];
  const info = await tf.profile(() => {
    out = run();
    return [];
  });
  tf.dispose(out);
  // tf.profile's peak counts every tensor alive, the other implementations' weights too.
  return info.peakBytes - before + ownBytes;
}

function trainable(p: MoeParams): tf.Variable[] {
  const shared = p.shared ? [p.shared.w1, p.shared.w2, p.shared.w3] : [];
  return [p.wGate, ...p.experts.flatMap((w) => [w.w1, w.w2, w.w3]), ...shared] as tf.Variable[];
}

/** Forward and forward+backward closures for one implementation. */
export function workloads(
  impl: Implementation,
  x: tf.Tensor2D,
  config: MoeConfig,
  params: MoeParams,
  dense: ExpertWeights,
): { fwd: () => tf.Tensor[]; fwdBwd: () => tf.Tensor[] } {
  const forward = (): tf.Tensor =>
    impl === 'dense'
      ? swiGLU(x, dense)
      : moeLayer(x, params, config, {
          dispatch: impl === 'masked' ? 'dense-masked-baseline' : 'sparse',
          checkFinite: false,
        }).output;
  const vars = impl === 'dense' ? ([dense.w1, dense.w2, dense.w3] as tf.Variable[]) : trainable(params);
  return {
    fwd: () => [tf.tidy(forward)],
    fwdBwd: () => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(forward())) as tf.Scalar, vars);
      return [value, ...Object.values(grads)];
    },
  };
}

/** One post-Mixtral layout's timing (`npm run bench:moe` variant rows): the sparse layer only. */
export interface VariantTiming {
  config: MoeConfig;
  /** Expert parameters one token uses (routed K plus shared), and all the layer holds. */
  activeParams: number;
  totalParams: number;
  fwdMs: number;
  fwdBwdMs: number;
}

/** Median forward and forward+backward time of the sparse layer for any MoE config (shared, fine-grained…). */
export async function benchmarkVariant(
  config: MoeConfig,
  tokens: number,
  reps: number,
  warmup: number,
): Promise<VariantTiming> {
  const x = tf.randomNormal([tokens, config.dModel], 0, 1, 'float32', 1) as tf.Tensor2D;
  const params = initMoeParams(config, 7);
  try {
    const { fwd, fwdBwd } = workloads('sparse', x, config, params, params.experts[0]!);
    const [f, fb] = await timeInterleaved([fwd, fwdBwd], reps, warmup);
    const out = moeLayer(x, params, config, { stats: true });
    tf.dispose([out.output, ...(out.auxLoss ? [out.auxLoss] : [])]);
    const stats = out.stats!;
    return {
      config,
      activeParams: stats.params.active,
      totalParams: stats.params.total,
      fwdMs: f!.median,
      fwdBwdMs: fb!.median,
    };
  } finally {
    tf.dispose([x, ...trainable(params)]);
  }
}

/** Times the three implementations for one (N, K) on the active backend; frees everything it made. */
export async function benchmarkCase(c: BenchCase, cancelled: () => boolean = () => false): Promise<BenchResult> {
  const config: MoeConfig = { dModel: c.dModel, dHidden: c.dHidden, numExperts: c.numExperts, topK: c.topK };
  const x = tf.randomNormal([c.tokens, c.dModel], 0, 1, 'float32', 1) as tf.Tensor2D;
  const params = initMoeParams(config, 7);
  const width = c.topK * c.dHidden;
  const dense: ExpertWeights = {
    w1: linearWeight(width, c.dModel, 1),
    w2: linearWeight(c.dModel, width, 2),
    w3: linearWeight(width, c.dModel, 3),
  };
  try {
    const loads = IMPLEMENTATIONS.map((impl) => workloads(impl, x, config, params, dense));
    const moeBytes = bytesOf([x, ...trainable(params)]);
    const owned: Record<Implementation, number> = {
      sparse: moeBytes,
      masked: moeBytes,
      dense: bytesOf([x, dense.w1, dense.w2, dense.w3]),
    };
    const runs = loads.flatMap((w) => (c.backward ? [w.fwd, w.fwdBwd] : [w.fwd]));
    const ms = await timeInterleaved(runs, c.reps, c.warmup, cancelled);
    const per = c.backward ? 2 : 1;
    const result = { numExperts: c.numExperts, topK: c.topK } as BenchResult;
    for (const [i, impl] of IMPLEMENTATIONS.entries()) {
      const fwd = ms[per * i]!;
      const fwdBwd = c.backward ? ms[per * i + 1]! : { median: NaN, min: NaN };
      result[impl] = {
        fwdMs: fwd.median,
        fwdBwdMs: fwdBwd.median,
        fwdMinMs: fwd.min,
        fwdBwdMinMs: fwdBwd.min,
        // A cancelled case is thrown away by the caller: skip the extra pass.
        peakBytes: cancelled() ? NaN : await peakBytes(loads[i]!.fwd, owned[impl]),
      };
    }
    return result;
  } finally {
    tf.dispose([x, ...trainable(params), dense.w1, dense.w2, dense.w3]);
  }
}
