// RMSNorm (Zhang & Sennrich 2019): scale each vector by the reciprocal of its root-mean-square, then by a
// learned gain. No mean subtraction and no bias, unlike LayerNorm. Hugging Face `MixtralRMSNorm`.
import * as tf from '@tensorflow/tfjs-core';

/** x / √(mean(x²) + ε) · weight, over the last axis. x: [..., d], weight: [d]. */
export function rmsNorm<T extends tf.Tensor>(x: T, weight: tf.Tensor1D, eps: number): T {
  return tf.tidy(() => {
    const meanSquare = tf.mean(tf.square(x), -1, true); // [..., 1]
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, eps))), weight) as T;
  });
}
