// A grouped linear layer: rows sorted by expert, each block multiplied by its own expert's weight.
// This is the "grouped GEMM" of MegaBlocks (Gale et al. 2023) in its simplest form. On wasm it is one
// kernel call for all experts (models/kernels.ts); elsewhere it is split → matMul per expert → concat.

import * as tf from '@tensorflow/tfjs-core';
import { GROUPED_MATMUL } from './kernels.ts';
import type { GroupedMode } from './kernels.ts';

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
  if (tf.getKernel(GROUPED_MATMUL, tf.getBackend()) === undefined) return composedGroupedMatMul(x, weights, groupSizes);
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [xs, ...ws] = args as tf.Tensor2D[];
    save([xs!, ...ws]);
    return {
      value: runGrouped('xWt', { x: xs! }, ws, groupSizes) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedX, ...savedW] = saved as tf.Tensor2D[];
        const dx = runGrouped('xW', { x: dy }, savedW, groupSizes) as tf.Tensor; // dxₑ = dyₑ · Wₑ
        const dw = runGrouped('dW', { x: dy, y: savedX! }, [], groupSizes) as tf.Tensor[]; // dWₑ = dyₑᵀ · xₑ
        return [dx, ...dw];
      },
    };
  });
  return op(x, ...weights) as tf.Tensor2D;
}

function runGrouped(
  mode: GroupedMode,
  inputs: Record<string, tf.Tensor>,
  weights: tf.Tensor[],
  groupSizes: number[],
): tf.Tensor | tf.Tensor[] {
  const named: tf.NamedTensorMap = { ...inputs };
  weights.forEach((w, g) => (named[`w${g}`] = w));
  return tf.engine().runKernel(GROUPED_MATMUL, named, { mode, groupSizes });
}

/** The same product from stock ops, for backends without the grouped kernel. */
function composedGroupedMatMul(x: tf.Tensor2D, weights: tf.Tensor2D[], groupSizes: number[]): tf.Tensor2D {
  return tf.tidy(() => {
    const used = groupSizes.flatMap((rows, g) => (rows > 0 ? [g] : []));
    // One split, not a slice per group: split's gradient is a single concat, while each slice's is a
    // pad back to all rows.
    const blocks = used.length === 1 ? [x] : (tf.split(x, used.map((g) => groupSizes[g]!)) as tf.Tensor2D[]);
    const outs = blocks.map((block, i) => tf.matMul(block, weights[used[i]!]!, false, true) as tf.Tensor2D);
    return outs.length === 1 ? outs[0]! : tf.concat(outs, 0);
  });
}
