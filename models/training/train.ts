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
  const rawGrads: tf.NamedTensorMap = {};
  let clipped: tf.NamedTensorMap = {};
  try {
    const { value, grads } = tf.variableGrads(() => {
      const result = mixtralForward(model, ids, { training: true });
      expertTokens = result.expertTokens;
      const ce = crossEntropy(result.logits, targets);
      // Copies, read after the tape: the returned total is disposed with the tape's other outputs.
      kept.push(tf.keep(tf.clone(ce)));
      if (result.auxLoss === null) return ce;
      kept.push(tf.keep(tf.clone(result.auxLoss)));
      return tf.add(ce, result.auxLoss) as tf.Scalar;
    }, [...model.weights.values()]);
    value.dispose();
    for (const [name, g] of Object.entries(grads)) rawGrads[hfName.get(name) ?? name] = g;
    const { grads: clippedGrads, norm } = clipByGlobalNorm(rawGrads, options.clip);
    clipped = clippedGrads;
    optimizer.apply(clipped, options.lr);
    const [loss, aux] = kept.map((t) => t.dataSync()[0]!);
    return { loss: loss!, aux: aux ?? 0, gradNorm: norm, expertTokens };
  } finally {
    tf.dispose([ids, targets, ...kept, ...Object.values(rawGrads), ...Object.values(clipped)]);
  }
}

/** Summed NLL and token count of one batch, at inference (no aux losses, no noise). */
export function batchNll(model: MixtralModel, batch: Batch): { sum: number; tokens: number } {
  const { ids, targets } = batchTensors(batch);
  try {
    const { logits, auxLoss } = mixtralForward(model, ids);
    const sum = tf.tidy(() => tf.sum(tokenNll(logits, targets)).dataSync()[0]!);
    tf.dispose([logits, ...(auxLoss ? [auxLoss] : [])]);
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
