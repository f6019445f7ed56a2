// The KV cache: each layer's keys and values of the positions seen so far, so generating a token feeds only
// that token and attends to the cached rest (one pass over the prompt, then one position per step). It grows
// by 2 · layers · kvHeads · headDim values per token (accounting/memory.ts counts its bytes).
import * as tf from '@tensorflow/tfjs-core';
import type { MixtralConfig } from './config.ts';

/** Keys and values of the positions seen so far, after RoPE: [batch, kvHeads, past, headDim] each. */
export interface LayerCache {
  k: tf.Tensor4D;
  v: tf.Tensor4D;
}

/** Keys and values of every layer for the positions generated so far; grown by `mixtralForward`. */
export interface KVCache {
  layers: (LayerCache | null)[];
  /** Positions already in the cache. */
  length: number;
}

/** An empty cache for incremental decoding. */
export function emptyCache(config: MixtralConfig): KVCache {
  return { layers: Array.from({ length: config.num_hidden_layers }, () => null), length: 0 };
}

export function disposeCache(cache: KVCache): void {
  for (const layer of cache.layers) {
    layer?.k.dispose();
    layer?.v.dispose();
  }
  cache.layers.fill(null);
  cache.length = 0;
}

/** A layer's cache before the first position: zero-length keys and values. */
export function emptyLayerCache(batch: number, shape: { numKvHeads: number; headDim: number }): LayerCache {
  return {
    k: tf.zeros([batch, shape.numKvHeads, 0, shape.headDim]) as tf.Tensor4D,
    v: tf.zeros([batch, shape.numKvHeads, 0, shape.headDim]) as tf.Tensor4D,
  };
}
