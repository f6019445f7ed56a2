// One optimisation step and an evaluation pass for the Mixtral model: next-token cross-entropy plus the
// routers' auxiliary losses, gradients by tf.variableGrads, global-norm clipping, AdamW. Pure tfjs.

import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../text/batches.ts';
import { clipByGlobalNorm } from './optim.ts';
import type { AdamW } from './optim.ts';
import { mixtralForward } from '../nn/transformer.ts';
import type { MixtralModel } from '../nn/transformer.ts';

/**
 * Per-token negative log-likelihood: −log softmax(logits)[target]. logSoftmax subtracts the row maximum
 * before exponentiating, so large logits cannot overflow. The target is picked with a one-hot mask rather
 * than a gather, because a mask's gradient is a plain multiply on every backend.
 * @param logits [batch, seq, vocab]
 * @param targets int32 [batch, seq]
 * @returns [batch · seq]
 */
export function tokenNll(logits: tf.Tensor3D, targets: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const [batch, seq, vocab] = logits.shape;
    const logProbs = tf.logSoftmax(tf.reshape(logits, [batch * seq, vocab])); // [tokens, vocab]
    // wasm's oneHot ignores its dtype argument: cast explicitly.
    const mask = tf.cast(tf.oneHot(tf.reshape(targets, [batch * seq]), vocab), 'float32'); // [tokens, vocab]
    return tf.neg(tf.sum(tf.mul(logProbs, mask), 1)) as tf.Tensor1D;
  });
}

/** Mean next-token cross-entropy in nats: the language-modelling loss. */
export function crossEntropy(logits: tf.Tensor3D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tokenNll(logits, targets)) as tf.Scalar);
}

export interface TrainStepOptions {
  /** Learning rate for this step (from `learningRate(step, schedule)`). */
  lr: number;
  /** Max global gradient norm; Infinity disables clipping. */
  clip: number;
  /** Expert capacity factor; routed slots over capacity are dropped (null or absent: dropless). */
  capacityFactor?: number | null;
  /** Per layer, the aux-loss-free selection bias used to choose experts this step: [N]. */
  selectionBias?: readonly Float32Array[];
  /** Names of the weights to update; absent = all. The others get no gradient and stay bit-identical. */
  trainable?: ReadonlySet<string>;
}

export interface TrainStepResult {
  /** Cross-entropy of this batch before the update (nats per token). */
  loss: number;
  /** The summed auxiliary losses (α·L_balance + β·L_z over layers); 0 when both coefficients are 0. */
  aux: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Per layer: tokens each expert computed, [numExperts]. */
  expertTokens: Int32Array[];
  /** The β·L_z part of `aux` (summed over layers). */
  zLoss: number;
  /** Per layer: routed slots the capacity limit dropped. */
  droppedSlots: number[];
  /** Per layer: mean router entropy over this batch's tokens (nats). */
  routerEntropy: number[];
  /** Per layer: tokens no expert took (expert-choice routing; 0 otherwise). */
  unroutedTokens: number[];
  /** Per layer: each expert's mean router probability Pᵢ over this batch's tokens: [N]. */
  routerMeanProb: number[][];
}

function batchTensors(batch: Batch): { ids: tf.Tensor2D; targets: tf.Tensor2D } {
  const shape: [number, number] = [batch.batchSize, batch.seqLen];
  return { ids: tf.tensor2d(batch.inputs, shape, 'int32'), targets: tf.tensor2d(batch.targets, shape, 'int32') };
}

/**
 * Forward, backward, clip, AdamW update. Every tensor it makes is disposed before it returns, also when
 * the forward pass throws, so `tf.memory()` stays flat over thousands of steps.
 */
export function trainStep(
  model: MixtralModel,
  optimizer: AdamW,
  batch: Batch,
  options: TrainStepOptions,
): TrainStepResult {
  const { ids, targets } = batchTensors(batch);
  // variableGrads names gradients by the variables' own names; map them back to the Hugging Face names.
  const hfName = new Map([...model.weights].map(([name, v]) => [v.name, name]));
  const kept: tf.Tensor[] = [];
  let expertTokens: Int32Array[] = [];
  let droppedSlots: number[] = [];
  let routerEntropy: number[] = [];
  let unroutedTokens: number[] = [];
  let routerMeanProb: number[][] = [];
  let zLoss = null as tf.Scalar | null; // set inside the tape's closure
  const rawGrads: tf.NamedTensorMap = {};
  let clipped: tf.NamedTensorMap = {};
  try {
    const { value, grads } = tf.variableGrads(
      () => {
        const result = mixtralForward(model, ids, {
          training: true,
          capacityFactor: options.capacityFactor,
          selectionBias: options.selectionBias,
        });
        ({ expertTokens, droppedSlots, routerEntropy, unroutedTokens, routerMeanProb } = result);
        zLoss = result.zLoss === null ? null : tf.keep(result.zLoss);
        const ce = crossEntropy(result.logits, targets);
        // Copies, read after the tape: the returned total is disposed with the tape's other outputs.
        kept.push(tf.keep(tf.clone(ce)));
        if (result.auxLoss === null) return ce;
        kept.push(tf.keep(tf.clone(result.auxLoss)));
        return tf.add(ce, result.auxLoss) as tf.Scalar;
      },
      [...model.weights].filter(([name]) => options.trainable?.has(name) ?? true).map(([, v]) => v),
    );
    value.dispose();
    for (const [name, g] of Object.entries(grads)) rawGrads[hfName.get(name) ?? name] = g;
    const { grads: clippedGrads, norm } = clipByGlobalNorm(rawGrads, options.clip);
    clipped = clippedGrads;
    optimizer.apply(clipped, options.lr);
    // One read for the step's scalars (loss, aux, z): a device round trip each would cost more than the math.
    const scalars = tf.tidy(() => tf.stack([...kept, ...(zLoss ? [zLoss] : [])]));
    const values = scalars.dataSync();
    scalars.dispose();
    const loss = values[0]!;
    const aux = kept.length > 1 ? values[1]! : 0;
    const z = zLoss ? values[kept.length]! : 0;
    return {
      loss,
      aux,
      gradNorm: norm,
      expertTokens,
      zLoss: z,
      droppedSlots,
      routerEntropy,
      unroutedTokens,
      routerMeanProb,
    };
  } finally {
    tf.dispose([ids, targets, ...kept, ...Object.values(rawGrads), ...Object.values(clipped)]);
    zLoss?.dispose();
  }
}

/** Summed NLL and token count of one batch, at inference (no aux losses, no noise). */
export function batchNll(model: MixtralModel, batch: Batch): { sum: number; tokens: number } {
  const { ids, targets } = batchTensors(batch);
  try {
    const { logits, auxLoss, zLoss } = mixtralForward(model, ids);
    const sum = tf.tidy(() => tf.sum(tokenNll(logits, targets)).dataSync()[0]!);
    tf.dispose([logits, ...(auxLoss ? [auxLoss] : []), ...(zLoss ? [zLoss] : [])]);
    return { sum, tokens: batch.batchSize * batch.seqLen };
  } finally {
    tf.dispose([ids, targets]);
  }
}

/** Mean cross-entropy (nats per token) over `batches`, weighting each token equally. */
export function evaluate(model: MixtralModel, batches: readonly Batch[]): number {
  let sum = 0;
  let tokens = 0;
  for (const batch of batches) {
    const r = batchNll(model, batch);
    sum += r.sum;
    tokens += r.tokens;
  }
  if (tokens === 0) throw new Error('There is nothing to evaluate: the batches hold no tokens.');
  return sum / tokens;
}
