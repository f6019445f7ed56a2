/**
 * Memory a model needs: its weights at a given precision, and its KV cache for a context length and batch.
 * Pure arithmetic on the counts from models/accounting/params.ts.
 *
 * Assumptions, stated because every serving stack differs a little:
 * - Weights: every parameter at the same precision (real deployments often keep norms, routers or
 *   embeddings wider; that changes little). fp8 is 1 byte and ignores per-block scales (DeepSeek-V3's one
 *   fp32 scale per 128×128 block adds 0.02 %). int4 is 4.5 bits: 4-bit weights plus one 16-bit scale per
 *   group of 32, as in llama.cpp's Q4_0 or 32-group GPTQ/AWQ; gpt-oss's MXFP4 is 4.25 bits (an 8-bit scale
 *   per 32), so int4 slightly over-states it.
 * - KV cache: one K and one V vector per KV head per layer per token (grouped-query attention shares
 *   them across query heads); a sliding-window layer keeps only the last `window` tokens; DeepSeek's MLA
 *   caches its compressed latent plus the shared RoPE key, kv_lora_rank + qk_rope_head_dim values per
 *   token and layer (DeepSeek-V2 paper, §2.1.4, as vLLM and SGLang store it; transformers' reference
 *   implementation stores the decompressed K and V instead, which is ~70× larger). An encoder-decoder's
 *   cross-attention caches the encoder output once; we take the encoder input to be `context` tokens long.
 *   Activations, framework overhead and paged-cache block rounding are not counted.
 */

import { countParameters, kvCacheLayers, type KvLayer } from './params.ts';

/** Weight precisions the calculator offers. */
export type WeightPrecision = 'fp32' | 'bf16' | 'fp8' | 'int4';

/** Bytes per weight at each precision, scales included (see the module comment for int4). */
export const BYTES_PER_WEIGHT: Readonly<Record<WeightPrecision, number>> = {
  fp32: 4,
  bf16: 2,
  fp8: 1,
  int4: (4 + 16 / 32) / 8,
};

/** Bytes of `params` weights at each precision. */
export function weightBytes(params: number): Record<WeightPrecision, number> {
  const out = {} as Record<WeightPrecision, number>;
  for (const [precision, bytes] of Object.entries(BYTES_PER_WEIGHT))
    out[precision as WeightPrecision] = Math.ceil(params * bytes);
  return out;
}

/** Options for {@link kvCacheBytes}. */
export interface KvCacheOptions {
  /** Tokens in the context (prompt plus generated). */
  context: number;
  /** Sequences decoded together. */
  batch: number;
  /** Bytes per cached value: 2 for bf16/fp16 (the default), 1 for an fp8 cache. */
  bytesPerValue?: number;
}

/** A KV-cache estimate. */
export interface KvCacheEstimate {
  /** Total bytes for `batch` sequences of `context` tokens. */
  bytes: number;
  /** Bytes one more token adds per sequence, while no window is full yet. */
  bytesPerToken: number;
  /** Attention layers with a cache, and how many of them keep only a sliding window. */
  layers: number;
  slidingLayers: number;
  /** The cache layout: 'mha', 'gqa', 'mqa' or 'mla' (the first layer's; models mix them rarely). */
  kind: KvLayer['kind'];
}

function checkWholeNumber(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number ≥ 1; got ${value}.`);
}

/** KV-cache memory for the model a config.json describes; see the module comment for what is assumed. */
export function kvCacheBytes(config: unknown, options: KvCacheOptions): KvCacheEstimate {
  checkWholeNumber(options.context, 'context');
  checkWholeNumber(options.batch, 'batch');
  const bytesPerValue = options.bytesPerValue ?? 2;
  const layers = kvCacheLayers(config);
  let perSequence = 0;
  let perToken = 0;
  for (const layer of layers) {
    const tokens = layer.window === null ? options.context : Math.min(options.context, layer.window);
    perSequence += layer.elementsPerToken * tokens;
    perToken += layer.elementsPerToken;
  }
  return {
    bytes: perSequence * bytesPerValue * options.batch,
    bytesPerToken: perToken * bytesPerValue,
    layers: layers.length,
    slidingLayers: layers.filter((l) => l.window !== null).length,
    kind: layers[0]?.kind ?? 'mha',
  };
}

/** Weights (of the counted total) and KV cache together: what the calculator and `moe params` show. */
export interface MemoryEstimate {
  weights: Record<WeightPrecision, number>;
  kvCache: KvCacheEstimate & { context: number; batch: number; bytesPerValue: number };
}

/** Memory for weights at every precision plus the KV cache for `options`. */
export function estimateMemory(config: unknown, options: KvCacheOptions): MemoryEstimate {
  const bytesPerValue = options.bytesPerValue ?? 2;
  return {
    weights: weightBytes(countParameters(config).total),
    kvCache: { ...kvCacheBytes(config, options), context: options.context, batch: options.batch, bytesPerValue },
  };
}
