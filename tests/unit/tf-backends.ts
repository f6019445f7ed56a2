// Runs a block of tests once per tfjs backend available in Node, with our kernels installed.

import { beforeAll, describe } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setupNodeBackend } from '../../models/node/backend-node.ts';

export const NODE_BACKENDS = ['cpu', 'wasm'] as const;

/** `describe` per backend; the backend is active for every test inside. */
export function describeBackends(name: string, body: (backend: (typeof NODE_BACKENDS)[number]) => void): void {
  for (const backend of NODE_BACKENDS) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        // Silences tfjs's "install tfjs-node" banner, and makes tfjs check every kernel for leaked buffers.
        tf.env().set('IS_TEST', true);
        await setupNodeBackend(backend);
      });
      body(backend);
    });
  }
}

/** Largest absolute difference between two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`Lengths differ: ${a.length} vs ${b.length}.`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** The values of a tensor as a plain array (and disposes nothing: the caller owns the tensor). */
export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}
