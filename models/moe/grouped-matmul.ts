// A grouped linear layer: rows sorted by expert, each block multiplied by its own expert's weight.
// This is the "grouped GEMM" of MegaBlocks (Gale et al. 2023) in its simplest form. On wasm each of
// its three products is one kernel call for all experts (models/runtime/kernels.ts); on other backends it is
// split → matMul per expert → concat. Either way the gradient is written out here, so an expert that
// received no rows gets a zero gradient on every backend.

import * as tf from '@tensorflow/tfjs-core';
import { GROUPED_MATMUL } from '../runtime/kernels.ts';
import type { GroupedMode } from '../runtime/kernels.ts';

/**
 * yₑ = xₑ · Wₑᵀ for consecutive row blocks xₑ of x, with nn.Linear weights Wₑ [out, in].
 * @param x [rows, in], rows sorted by group
 * @param weights one [out, in] weight per group
 * @param groupSizes rows in each group (zeros allowed); they sum to `rows`
 * @returns [rows, out]
 */
export function groupedMatMul(x: tf.Tensor2D, weights: tf.Tensor2D[], groupSizes: number[]): tf.Tensor2D {
  const total = groupSizes.reduce((a, b) => a + b, 0);
  if (groupSizes.length !== weights.length || total !== x.shape[0]) {
    throw new Error(
      `groupedMatMul needs one weight per group and group sizes that add up to the ${x.shape[0]} rows; ` +
        `got ${weights.length} weights and sizes adding up to ${total}.`,
    );
  }
  const run = tf.getKernel(GROUPED_MATMUL, tf.getBackend()) === undefined ? composed : kernel;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [xs, ...ws] = args as tf.Tensor2D[];
    save([xs!, ...ws]);
    return {
      value: run('xWt', xs!, ws, groupSizes) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedX, ...savedW] = saved as tf.Tensor2D[];
        const dx = run('xW', dy as tf.Tensor2D, savedW, groupSizes) as tf.Tensor; // dxₑ = dyₑ · Wₑ
        const dw = run('dW', dy as tf.Tensor2D, [savedX!], groupSizes) as tf.Tensor[]; // dWₑ = dyₑᵀ · xₑ
        return [dx, ...dw];
      },
    };
  });
  return op(x, ...weights) as tf.Tensor2D;
}

/**
 * The three products over row blocks: 'xWt' xₑ·Wₑᵀ, 'xW' xₑ·Wₑ (`others` = the weights), and
 * 'dW' xₑᵀ·yₑ (`others` = [y]) giving one [x cols, y cols] tensor per group.
 */
type GroupedRun = (
  mode: GroupedMode,
  x: tf.Tensor2D,
  others: tf.Tensor2D[],
  groupSizes: number[],
) => tf.Tensor | tf.Tensor[];

const kernel: GroupedRun = (mode, x, others, groupSizes) => {
  const inputs: tf.NamedTensorMap = mode === 'dW' ? { x, y: others[0]! } : { x };
  if (mode !== 'dW') others.forEach((w, g) => (inputs[`w${g}`] = w));
  return tf.engine().runKernel(GROUPED_MATMUL, inputs, { mode, groupSizes });
};

const composed: GroupedRun = (mode, x, others, groupSizes) =>
  tf.tidy(() => {
    const used = groupSizes.flatMap((rows, g) => (rows > 0 ? [g] : []));
    const split = (t: tf.Tensor2D): tf.Tensor2D[] =>
      used.length === 1
        ? [t]
        : (tf.split(
            t,
            used.map((g) => groupSizes[g]!),
          ) as tf.Tensor2D[]);
    const xs = split(x);
    if (mode === 'dW') {
      const ys = split(others[0]!);
      const [cols, outCols] = [x.shape[1], others[0]!.shape[1]];
      return groupSizes.map((_, g) => {
        const i = used.indexOf(g);
        return i < 0 ? tf.zeros([cols, outCols]) : tf.matMul(xs[i]!, ys[i]!, true, false);
      });
    }
    const outs = xs.map((block, i) => tf.matMul(block, others[used[i]!]!, false, mode === 'xWt') as tf.Tensor2D);
    return outs.length === 1 ? outs[0]! : tf.concat(outs, 0);
  });
