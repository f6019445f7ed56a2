// What expert parallelism sends over the network. With the experts spread over devices, each MoE layer
// sends every token's hidden state to the devices of its K experts and brings the K outputs back: two
// all-to-all exchanges per layer in the forward pass (GShard, Lepikhin et al. 2020, §2.2 and §3.2: the
// dispatch and combine einsums become AllToAll collectives), and two more for their gradients in the
// backward pass. Capacity-based systems (GShard, Switch Transformer) send fixed-size buffers of
// capacityFactor · tokens · K / N slots per expert, padding included; dropless ones (MegaBlocks) send the
// K slots each token really uses. Pure arithmetic; FLOPs come from flops.ts so the two are comparable.

import { moeForwardFlops, type MoeSize } from './flops.ts';

export interface CommunicationInput extends MoeSize {
  /** MoE layers in the model. */
  numLayers: number;
  /** Bytes per element on the wire: 2 for bf16/fp16, 1 for fp8, 4 for fp32. */
  bytesPerElement: number;
  /** Expert capacity factor (≥ 1 pads every expert's buffer); null = dropless, only the slots used. */
  capacityFactor: number | null;
}

export interface CommunicationEstimate {
  /** Bytes one token sends and receives in one MoE layer, forward: 2 × slots × hidden × bytes. */
  bytesPerTokenPerLayer: number;
  /** The same over every MoE layer of the model. */
  bytesPerTokenForward: number;
  /** Forward and backward (the gradients retrace both exchanges): 2 × the forward. */
  bytesPerTokenTraining: number;
  /** Forward FLOPs of one token in one MoE layer (router + K experts), from flops.ts. */
  flopsPerTokenPerLayer: number;
  /** FLOPs per byte on the wire: below a device's FLOP/s ÷ link bytes/s, the network sets the pace. */
  flopsPerByte: number;
}

function check(input: CommunicationInput): void {
  const whole = (v: number, name: string) => {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a whole number ≥ 1; got ${v}.`);
  };
  whole(input.dModel, 'The hidden size');
  whole(input.dHidden, "The expert's intermediate size");
  whole(input.numExperts, 'The number of experts');
  whole(input.topK, 'K');
  whole(input.numLayers, 'The number of MoE layers');
  if (input.topK > input.numExperts) {
    throw new RangeError(`K (${input.topK}) cannot exceed the number of experts (${input.numExperts}).`);
  }
  if (!(input.bytesPerElement > 0))
    throw new RangeError(`Bytes per element must be above 0; got ${input.bytesPerElement}.`);
  const c = input.capacityFactor;
  if (c !== null && !(c > 0 && c <= 16))
    throw new RangeError(`The capacity factor must be above 0 and at most 16, or none; got ${c}.`);
}

/**
 * Bytes per token per MoE layer = 2 directions × slots × hidden × bytes per element, where slots = K
 * (dropless) or capacityFactor × K (padded buffers); for Mixtral 8x7B in bf16, 2 × 2 × 4096 × 2 = 32,768.
 */
export function communicationPerToken(input: CommunicationInput): CommunicationEstimate {
  check(input);
  const slots = input.topK * (input.capacityFactor ?? 1);
  const bytesPerTokenPerLayer = 2 * slots * input.dModel * input.bytesPerElement;
  const flopsPerTokenPerLayer = moeForwardFlops(input, 1);
  return {
    bytesPerTokenPerLayer,
    bytesPerTokenForward: bytesPerTokenPerLayer * input.numLayers,
    bytesPerTokenTraining: 2 * bytesPerTokenPerLayer * input.numLayers,
    flopsPerTokenPerLayer,
    flopsPerByte: flopsPerTokenPerLayer / bytesPerTokenPerLayer,
  };
}

export interface StepTiming {
  /** Bytes each device sends in one training step (forward + backward, all MoE layers). */
  bytes: number;
  /** Seconds those bytes take at the link's bandwidth. */
  networkSeconds: number;
  /** Seconds the same MoE layers' expert FLOPs (forward + backward ≈ 3 × forward) take at the device's peak. */
  computeSeconds: number;
  /** True when the network takes longer than the arithmetic (and nothing overlaps them). */
  networkBound: boolean;
}

/**
 * One training step of `tokensPerDevice` tokens on each of `devices` devices: a token's slots leave its
 * device with probability (devices − 1) / devices when experts are spread evenly and routing is uniform.
 */
export function trainingStepTiming(
  input: CommunicationInput,
  tokensPerDevice: number,
  devices: number,
  linkBytesPerSecond: number,
  deviceFlopsPerSecond: number,
): StepTiming {
  if (!Number.isInteger(tokensPerDevice) || tokensPerDevice < 1 || tokensPerDevice > 1e9) {
    throw new RangeError(`Tokens per device must be a whole number from 1 to 10⁹; got ${tokensPerDevice}.`);
  }
  if (!Number.isInteger(devices) || devices < 2 || devices > 100_000) {
    throw new RangeError(`Expert parallelism needs a whole number of devices from 2 to 100,000; got ${devices}.`);
  }
  if (!(linkBytesPerSecond > 0) || !(deviceFlopsPerSecond > 0))
    throw new RangeError('Bandwidth and FLOP/s must be above 0.');
  const perToken = communicationPerToken(input);
  const remote = (devices - 1) / devices;
  const bytes = perToken.bytesPerTokenTraining * tokensPerDevice * remote;
  const networkSeconds = bytes / linkBytesPerSecond;
  const computeSeconds =
    (3 * perToken.flopsPerTokenPerLayer * input.numLayers * tokensPerDevice) / deviceFlopsPerSecond;
  return { bytes, networkSeconds, computeSeconds, networkBound: networkSeconds > computeSeconds };
}

/** The sizes the calculator needs, read from a Hugging Face config.json of a decoder-only family it knows. */
export interface MoeShape extends MoeSize {
  numLayers: number;
}

const num = (c: Record<string, unknown>, ...keys: string[]): number | null => {
  for (const k of keys) if (typeof c[k] === 'number') return c[k];
  return null;
};

/**
 * Mixtral-, OLMoE-, Qwen-MoE-, DeepSeek-V3- and gpt-oss-style configs → their routed-expert shape (shared
 * experts are replicated on every device, so they send nothing); a dense Mistral/Llama config → N = K = 1.
 * DeepSeek-V3's first `first_k_dense_replace` layers are dense and not counted. Null for a layout it does not
 * read (DBRX's nested ffn_config, encoder-decoders).
 */
export function moeShapeOfConfig(config: unknown): MoeShape | null {
  if (typeof config !== 'object' || config === null) return null;
  const c = config as Record<string, unknown>;
  const dModel = num(c, 'hidden_size');
  const layers = num(c, 'num_hidden_layers');
  if (dModel === null || layers === null) return null;
  const experts = num(c, 'num_local_experts', 'num_experts', 'n_routed_experts');
  if (experts === null) {
    const dHidden = num(c, 'intermediate_size');
    return dHidden === null ? null : { dModel, dHidden, numExperts: 1, topK: 1, numLayers: layers };
  }
  const dHidden = num(c, 'moe_intermediate_size', 'intermediate_size');
  const topK = num(c, 'num_experts_per_tok', 'experts_per_token');
  if (dHidden === null || topK === null) return null;
  const denseFirst = num(c, 'first_k_dense_replace') ?? 0;
  return { dModel, dHidden, numExperts: experts, topK, numLayers: layers - denseFirst };
}
