// Memory for a Mixtral-style model on one accelerator: how many experts per layer fit, and what keeping the
// experts in CPU RAM instead costs per generated token (each layer's K chosen experts copied over PCIe,
// as offloading runtimes do when the expert is not already on the device). Parameter counts come from
// params.ts; bandwidths and memory sizes from hardware.ts.

import { countParameters } from './params.ts';
import { expertParams } from './flops.ts';
import { parseMixtralConfig, type MixtralConfig } from '../nn/config.ts';

/** A config with `numExperts` experts per layer (the rest unchanged, K clipped to N). */
export function withExperts(config: MixtralConfig, numExperts: number): MixtralConfig {
  return parseMixtralConfig({
    ...config,
    num_local_experts: numExperts,
    num_experts_per_tok: Math.min(config.num_experts_per_tok, numExperts),
  });
}

export interface FitResult {
  /** Bytes of everything but the experts (attention, embeddings, norms, routers at N = 1). */
  sharedBytes: number;
  /** Bytes of one expert in one layer, times the layers: what one more expert per layer costs. */
  bytesPerExpertAllLayers: number;
  /** The most experts per layer whose weights fit in the memory (0 if even the shared part does not fit). */
  maxExperts: number;
  /** Total parameters at that N. */
  maxParams: number;
}

/**
 * The largest N whose weights fit in `memoryBytes` at `bytesPerWeight`, keeping `reserveBytes` free for the
 * KV cache and activations. Routers grow with N too (N × hidden per layer) and are counted.
 */
export function largestFit(
  config: MixtralConfig,
  memoryBytes: number,
  bytesPerWeight: number,
  reserveBytes = 0,
): FitResult {
  if (!(memoryBytes > 0) || !(bytesPerWeight > 0) || !(reserveBytes >= 0)) {
    throw new RangeError('Memory and bytes per weight must be above 0, and the reserve at least 0.');
  }
  const one = countParameters(withExperts(config, 1)).total;
  const two = countParameters(withExperts(config, 2)).total;
  const perExpert = two - one; // every layer's expert plus its router row
  const budget = memoryBytes - reserveBytes;
  const shared = one - perExpert;
  const maxExperts = Math.max(0, Math.floor((budget / bytesPerWeight - shared) / perExpert));
  return {
    sharedBytes: shared * bytesPerWeight,
    bytesPerExpertAllLayers: perExpert * bytesPerWeight,
    maxExperts,
    maxParams: shared + maxExperts * perExpert,
  };
}

export interface OffloadCost {
  /** Bytes of the K experts a token uses in every layer: what crosses PCIe when none is already resident. */
  bytesPerToken: number;
  /** Seconds per token for that copy at the link's bandwidth (a floor: no caching, no overlap). */
  secondsPerToken: number;
}

/** Per generated token: layers × K × one expert's weights, over a link of `linkBytesPerSecond`. */
export function offloadCost(config: MixtralConfig, bytesPerWeight: number, linkBytesPerSecond: number): OffloadCost {
  if (!(bytesPerWeight > 0) || !(linkBytesPerSecond > 0))
    throw new RangeError('Bytes per weight and bandwidth must be above 0.');
  const expert = expertParams(config.hidden_size, config.intermediate_size);
  const bytesPerToken = config.num_hidden_layers * config.num_experts_per_tok * expert * bytesPerWeight;
  return { bytesPerToken, secondsPerToken: bytesPerToken / linkBytesPerSecond };
}
