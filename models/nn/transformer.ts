// The Mixtral transformer (Jiang et al. 2024, §2), Hugging Face `MixtralForCausalLM` layer for layer:
//   x = embed(ids)
//   for each layer:  x = x + attention(rmsNorm(x))       attention is shared by every token
//                    x = x + sparseMoE(rmsNorm(x))       the MoE block replaces the feed-forward block
//   logits = rmsNorm(x) · lm_headᵀ
// Weights live in one map keyed by the Hugging Face parameter names, so a checkpoint maps 1:1.
import * as tf from '@tensorflow/tfjs-core';
import { selfAttention, type AttentionWeights } from './attention.ts';
import { disposeCache, emptyLayerCache, type KVCache, type LayerCache } from './kv-cache.ts';
import { headDim, mixtralTensorSpecs, shapeSize, type MixtralConfig } from './config.ts';
import { moeLayer, type MoeConfig, type MoeParams } from '../moe/moe-layer.ts';
import { gateLogits } from '../moe/router.ts';
import { rmsNorm } from './rmsnorm.ts';
import type { HostTensor } from '../checkpoint/safetensors.ts';

export interface MixtralModel {
  readonly config: MixtralConfig;
  /** Hugging Face parameter name → weight, e.g. `model.layers.0.block_sparse_moe.experts.3.w1.weight`. */
  readonly weights: Map<string, tf.Variable>;
}

export interface ForwardOptions {
  /** Training mode (noise for noisy gates). */
  training?: boolean;
  /** Read back per-layer routing (costs a download of the gate outputs). */
  stats?: boolean;
  /** Inference-time K: route each token to this many experts instead of `num_experts_per_tok`. */
  topK?: number;
  /** Continue from these cached positions and extend the cache in place. */
  cache?: KVCache;
  /** The ids' values when the caller has them on the host: saves reading them back from the device. */
  hostIds?: ArrayLike<number>;
  /** Keep each layer's output and router logits (to compare with a reference layer by layer). */
  trace?: boolean;
  /** Expert capacity factor (GShard §2.2): routed slots past ⌈factor·tokens·K/N⌉ per expert are dropped. */
  capacityFactor?: number | null;
  /** Per layer, the aux-loss-free selection bias (DeepSeek-V3 §2.1.2) added to the scores before top-K: [N]. */
  selectionBias?: readonly Float32Array[];
}

/** One layer's routing decisions, per token (tokens are batch-major: token t = b·seq + s). */
export interface LayerRouting {
  /** Chosen experts, best first: [tokens, k]. */
  expertIndex: Int32Array;
  /** Their gate weights: [tokens, k]. */
  gateWeights: Float32Array;
  /** Tokens each expert computed: [numExperts]. */
  expertTokens: Int32Array;
  /** Mean router probability per expert: [numExperts]. */
  expertMeanProb: Float32Array;
  /** Router probabilities over all experts, per token: [tokens, numExperts]. */
  probs: Float32Array;
  /** 1 where the capacity limit dropped that choice (the token kept only its residual for it): [tokens, k]. */
  dropped: Uint8Array;
}

export interface ForwardResult {
  logits: tf.Tensor3D; // [batch, seq, vocab]
  /** Σ over layers of α·L_balance + β·L_z; null when both coefficients are 0 (or at inference). */
  auxLoss: tf.Scalar | null;
  /** Per layer: tokens each expert computed in this call. */
  expertTokens: Int32Array[];
  /** Per layer, when `stats` is set. */
  routing: LayerRouting[] | null;
  /** Per layer, when `trace` is set (the caller disposes them). */
  trace: LayerTrace[] | null;
  /** In training: Σ over layers of β·L_z alone (part of `auxLoss`), for the readout; the caller disposes it. */
  zLoss: tf.Scalar | null;
  /** Per layer: routed slots the capacity limit dropped. */
  droppedSlots: number[];
  /** In training, per layer: mean router entropy −Σᵢ pᵢ log pᵢ over tokens, in nats (log N = uniform). */
  routerEntropy: number[];
  /** Per layer: tokens no expert took (expert-choice routing only; 0 otherwise). */
  unroutedTokens: number[];
  /** In training, per layer: each expert's mean router probability Pᵢ over tokens (Switch eq. 6): [N]. */
  routerMeanProb: number[][];
}

/** Mean over tokens of −Σᵢ pᵢ log pᵢ, from probabilities already on the host: [tokens, n]. */
function meanEntropy(probs: Float32Array, n: number): number {
  let sum = 0;
  for (const p of probs) if (p > 0) sum -= p * Math.log(p);
  return sum / (probs.length / n);
}

/** Rows scaled to sum to 1 for the sigmoid gate (whose scores do not); the scores themselves otherwise. */
function rowNormalised(scores: Float32Array, gate: MoeConfig['gate'], n: number): Float32Array {
  if (gate !== 'sigmoid') return scores;
  const out = new Float32Array(scores.length);
  for (let row = 0; row < scores.length; row += n) {
    let sum = 0;
    for (let i = row; i < row + n; i++) sum += scores[i]!;
    for (let i = row; i < row + n; i++) out[i] = scores[i]! / sum;
  }
  return out;
}

/** Each expert's mean probability over tokens, from probabilities already on the host: [tokens, n] → [n]. */
function meanProbs(probs: Float32Array, n: number): number[] {
  const out = new Array<number>(n).fill(0);
  probs.forEach((p, i) => (out[i % n]! += p));
  const tokens = probs.length / n;
  return out.map((s) => s / tokens);
}

/** One layer's intermediate results, for checking the port stage by stage. */
export interface LayerTrace {
  /** The residual stream after the layer: [batch, seq, d]. */
  hidden: tf.Tensor3D;
  /** The router's logits before the softmax: [batch·seq, N]. */
  routerLogits: tf.Tensor2D;
}

/**
 * Mixtral renormalises the top-K weights. `norm_topk_prob: false` (Qwen-MoE's field name, which MoE Lab
 * also reads for Mixtral configs) keeps the raw softmax probability instead, which is the Switch
 * Transformer's top-1 router: renormalising one weight would always give 1 and no gradient to the router.
 */
export type MixtralConfigWithRouting = MixtralConfig & { norm_topk_prob?: boolean };

/** The MoE block's settings for this model, optionally with an inference-time K. */
export function moeConfigOf(config: MixtralConfigWithRouting, topK = config.num_experts_per_tok): MoeConfig {
  const moe: MoeConfig = {
    dModel: config.hidden_size,
    dHidden: config.intermediate_size,
    numExperts: config.num_local_experts,
    topK,
    gate: gateOf(config),
    normTopK: config.norm_topk_prob ?? true,
    auxLossCoef: config.router_aux_loss_coef,
    zLossCoef: config.router_z_loss_coef ?? 0,
  };
  // Only the fields a config sets, so a Mixtral config gives exactly the MoeConfig it always gave.
  if (config.n_shared_experts) moe.sharedExperts = config.n_shared_experts;
  if (config.expert_choice_capacity_factor !== undefined) {
    moe.expertChoiceCapacity = config.expert_choice_capacity_factor;
  }
  if (config.num_slots_per_expert !== undefined) moe.slotsPerExpert = config.num_slots_per_expert;
  return moe;
}

/** The MoE layer's gate for a config.json: Mixtral's softmax top-K unless a post-Mixtral field says otherwise. */
function gateOf(config: MixtralConfig): MoeConfig['gate'] {
  if (config.moe_routing === 'expert-choice') return 'expert-choice';
  if (config.moe_routing === 'soft-moe') return 'soft-moe';
  return config.scoring_func === 'sigmoid' ? 'sigmoid' : 'topk';
}

/**
 * Fresh weights as transformers initialises them (`_init_weights`): every linear and the embedding
 * N(0, initializer_range²), norms 1. Tensor i of `mixtralTensorSpecs` draws from seed + i.
 */
export function initMixtral(config: MixtralConfig, seed: number): MixtralModel {
  const weights = new Map<string, tf.Variable>();
  mixtralTensorSpecs(config).forEach(({ name, shape }, i) => {
    const init = name.endsWith('norm.weight')
      ? tf.ones(shape)
      : tf.randomNormal(shape, 0, config.initializer_range, 'float32', seed + i);
    // Unnamed: tfjs variable names are global, and two models (or two tests) may hold the same parameter.
    weights.set(name, tf.variable(init, true));
    init.dispose();
  });
  return { config, weights };
}

/** A model from checkpoint tensors; throws naming the first missing or misshapen tensor. */
export function mixtralFromTensors(config: MixtralConfig, tensors: ReadonlyMap<string, HostTensor>): MixtralModel {
  const weights = new Map<string, tf.Variable>();
  try {
    for (const { name, shape } of mixtralTensorSpecs(config)) {
      const tensor = tensors.get(name);
      if (!tensor) throw new Error(`The weights are missing ${name} (expected shape [${shape.join(', ')}]).`);
      if (tensor.shape.join() !== shape.join() || tensor.data.length !== shapeSize(shape)) {
        throw new Error(`${name} has shape [${tensor.shape.join(', ')}]; this config needs [${shape.join(', ')}].`);
      }
      weights.set(
        name,
        tf.tidy(() => tf.variable(tf.tensor(tensor.data, shape), true)),
      );
    }
  } catch (error) {
    weights.forEach((w) => w.dispose());
    throw error;
  }
  return { config, weights };
}

/** The weights as host tensors, in `mixtralTensorSpecs` order (for saving a checkpoint). */
export function mixtralToTensors(model: MixtralModel): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const { name, shape } of mixtralTensorSpecs(model.config)) {
    out.set(name, { shape, data: weight(model, name).dataSync() as Float32Array });
  }
  return out;
}

export function disposeModel(model: MixtralModel): void {
  model.weights.forEach((w) => w.dispose());
  model.weights.clear();
}

function weight(model: MixtralModel, name: string): tf.Variable {
  const w = model.weights.get(name);
  if (!w) throw new Error(`The model has no weight named ${name}.`);
  return w;
}

function attentionWeights(model: MixtralModel, layer: number): AttentionWeights {
  const p = `model.layers.${layer}.self_attn`;
  return {
    q: weight(model, `${p}.q_proj.weight`) as tf.Tensor2D,
    k: weight(model, `${p}.k_proj.weight`) as tf.Tensor2D,
    v: weight(model, `${p}.v_proj.weight`) as tf.Tensor2D,
    o: weight(model, `${p}.o_proj.weight`) as tf.Tensor2D,
  };
}

function moeWeights(model: MixtralModel, layer: number, selectionBias?: Float32Array): MoeParams {
  const p = `model.layers.${layer}.block_sparse_moe`;
  const params: MoeParams = {
    selectionBias,
    wGate: weight(model, `${p}.gate.weight`) as tf.Tensor2D,
    experts: Array.from({ length: model.config.num_local_experts }, (_, j) => ({
      w1: weight(model, `${p}.experts.${j}.w1.weight`) as tf.Tensor2D,
      w2: weight(model, `${p}.experts.${j}.w2.weight`) as tf.Tensor2D,
      w3: weight(model, `${p}.experts.${j}.w3.weight`) as tf.Tensor2D,
    })),
  };
  if ((model.config.n_shared_experts ?? 0) > 0) {
    params.shared = {
      w1: weight(model, `${p}.shared_experts.gate_proj.weight`) as tf.Tensor2D,
      w2: weight(model, `${p}.shared_experts.down_proj.weight`) as tf.Tensor2D,
      w3: weight(model, `${p}.shared_experts.up_proj.weight`) as tf.Tensor2D,
    };
  }
  return params;
}

/** An id outside the vocabulary would read zeros or garbage silently; `data` is the ids read back. */
function checkIds(ids: tf.Tensor2D, vocabSize: number, data: ArrayLike<number>): void {
  if (ids.dtype !== 'int32') throw new Error(`Token ids must be an int32 tensor; got ${ids.dtype}.`);
  if (ids.rank !== 2) throw new Error(`Token ids must have shape [batch, seq]; got [${ids.shape.join(', ')}].`);
  const bad = Array.prototype.findIndex.call(data, (id: number) => id < 0 || id >= vocabSize);
  if (bad !== -1) throw new Error(`Token id ${data[bad]} is outside the vocabulary (0 … ${vocabSize - 1}).`);
}

/**
 * The forward pass as a sequence of steps that pause once per layer to have the router's probabilities
 * read back from the device: the top-K choice is made in JavaScript. `mixtralForward` reads them
 * synchronously (training, Node); `mixtralForwardAsync` awaits them, which WebGPU needs.
 */
function* forwardSteps(
  model: MixtralModel,
  ids: tf.Tensor2D,
  options: ForwardOptions,
): Generator<tf.Tensor2D, ForwardResult, Float32Array> {
  const config = model.config as MixtralConfigWithRouting;
  const [batch, seq] = ids.shape;
  const cache = options.cache;
  if (cache && cache.length + seq > config.max_position_embeddings) {
    throw new Error(
      `The context would grow to ${cache.length + seq} tokens; this model was configured for at most ${config.max_position_embeddings}.`,
    );
  }
  const moeConfig = { ...moeConfigOf(config, options.topK), capacityFactor: options.capacityFactor ?? null };
  const eps = config.rms_norm_eps;
  const shape = {
    numHeads: config.num_attention_heads,
    numKvHeads: config.num_key_value_heads,
    headDim: headDim(config),
    ropeTheta: config.rope_theta,
  };
  const expertTokens: Int32Array[] = [];
  const routing: LayerRouting[] = [];
  const newCache: LayerCache[] = [];
  const auxTerms: tf.Scalar[] = [];
  const zTerms: tf.Scalar[] = [];
  const droppedSlots: number[] = [];
  const routerEntropy: number[] = [];
  const unroutedTokens: number[] = [];
  const routerMeanProb: number[][] = [];
  const traced: { routerLogits: tf.Tensor2D; hidden?: tf.Tensor3D }[] = [];
  // Tensors alive between steps; freed here if anything throws half-way.
  const live = new Set<tf.Tensor>();
  const hold = <T extends tf.Tensor>(t: T): T => (live.add(t), t);
  const free = (...tensors: tf.Tensor[]): void => tensors.forEach((t) => (live.delete(t), t.dispose()));
  try {
    let x = hold(tf.gather(weight(model, 'model.embed_tokens.weight'), ids) as tf.Tensor3D); // [b, s, d]
    for (let layer = 0; layer < config.num_hidden_layers; layer++) {
      const p = `model.layers.${layer}`;
      const past = cache ? (cache.layers[layer] ?? null) : null;
      const step = tf.tidy(() => {
        const normed = rmsNorm(x, weight(model, `${p}.input_layernorm.weight`) as tf.Tensor1D, eps);
        const attention = selfAttention(
          normed,
          attentionWeights(model, layer),
          shape,
          cache ? (past ?? emptyLayerCache(batch, shape)) : null,
        );
        const h = tf.add(x, attention.output) as tf.Tensor3D; // residual
        const moeInput = rmsNorm(h, weight(model, `${p}.post_attention_layernorm.weight`) as tf.Tensor1D, eps);
        const wGate = weight(model, `${p}.block_sparse_moe.gate.weight`) as tf.Tensor2D;
        const routerLogits = gateLogits(tf.reshape(moeInput, [batch * seq, config.hidden_size]), wGate);
        // The scores the choice is made from, read back below: sigmoid affinities for DeepSeek-V3's gate.
        const probs = moeConfig.gate === 'sigmoid' ? tf.sigmoid(routerLogits) : tf.softmax(routerLogits);
        return {
          h,
          moeInput,
          probs,
          routerLogits: options.trace ? routerLogits : undefined,
          k: attention.cache?.k,
          v: attention.cache?.v,
        };
      });
      free(x);
      const { h, moeInput } = step;
      [h, moeInput, step.probs].forEach(hold);
      if (step.routerLogits) traced.push({ routerLogits: hold(step.routerLogits) });
      if (step.k && step.v) newCache.push({ k: hold(step.k), v: hold(step.v) });
      const scoreColumns = step.probs.shape[1];
      const probsData = yield step.probs;
      free(step.probs);
      if (options.training) {
        // Sigmoid affinities are no distribution: their entropy and mean are taken after normalising each row.
        const rowProbs = rowNormalised(probsData, moeConfig.gate, scoreColumns);
        routerEntropy.push(meanEntropy(rowProbs, scoreColumns));
        routerMeanProb.push(meanProbs(rowProbs, scoreColumns));
      }
      const moe = moeLayer(moeInput, moeWeights(model, layer, options.selectionBias?.[layer]), moeConfig, {
        training: options.training,
        stats: options.stats,
        zLossReadout: options.training,
        probsData,
        // The router rejects non-finite scores, which any NaN or Infinity in its input produces.
        checkFinite: false,
      });
      x = hold(tf.add(h, moe.output) as tf.Tensor3D); // residual
      if (options.trace) traced[layer]!.hidden = hold(tf.clone(x));
      free(h, moeInput);
      moe.output.dispose();
      if (moe.auxLoss && options.training) auxTerms.push(hold(moe.auxLoss));
      else moe.auxLoss?.dispose();
      if (moe.zLoss) zTerms.push(hold(moe.zLoss));
      expertTokens.push(moe.expertTokens);
      droppedSlots.push(moe.droppedSlots);
      unroutedTokens.push(moe.unroutedTokens);
      if (moe.stats) {
        const { expertIndex, gateWeights, expertMeanProb, probs } = moe.stats;
        const dropped = new Uint8Array(expertIndex.length);
        for (const [t, j] of moe.stats.dropped) dropped[t * moeConfig.topK + j] = 1;
        routing.push({
          expertIndex,
          gateWeights,
          expertTokens: moe.stats.expertTokens,
          expertMeanProb,
          probs,
          dropped,
        });
      }
    }
    const logits = tf.tidy(() => {
      const final = rmsNorm(x, weight(model, 'model.norm.weight') as tf.Tensor1D, eps);
      const head = weight(model, config.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
      const flat = tf.matMul(tf.reshape(final, [batch * seq, config.hidden_size]), head, false, true);
      return tf.reshape(flat, [batch, seq, config.vocab_size]) as tf.Tensor3D;
    });
    free(x);
    const auxLoss = auxTerms.length === 0 ? null : (tf.addN(auxTerms) as tf.Scalar);
    free(...auxTerms);
    const zLoss = zTerms.length === 0 ? null : (tf.addN(zTerms) as tf.Scalar);
    free(...zTerms);
    if (cache) {
      disposeCache(cache);
      newCache.forEach((layerCache, i) => {
        live.delete(layerCache.k);
        live.delete(layerCache.v);
        cache.layers[i] = layerCache;
      });
      cache.length = newCache[0]!.k.shape[2];
    }
    const trace = options.trace ? traced.map((t) => ({ hidden: t.hidden!, routerLogits: t.routerLogits })) : null;
    trace?.forEach((t) => (live.delete(t.hidden), live.delete(t.routerLogits)));
    return {
      logits,
      auxLoss,
      expertTokens,
      routing: options.stats ? routing : null,
      trace,
      zLoss,
      droppedSlots,
      routerEntropy,
      unroutedTokens,
      routerMeanProb,
    };
  } finally {
    // Empty on success; after an exception, everything this pass still held.
    live.forEach((t) => t.dispose());
  }
}

/**
 * Runs the model on ids [batch, seq] (int32). The caller disposes `logits` and `auxLoss`. With `cache`,
 * ids continue the cached positions and the cache is extended in place (for token-by-token generation).
 * Synchronous, so it works inside `tf.variableGrads`; in a browser prefer `mixtralForwardAsync`.
 */
export function mixtralForward(model: MixtralModel, ids: tf.Tensor2D, options: ForwardOptions = {}): ForwardResult {
  checkIds(ids, model.config.vocab_size, ids.dataSync());
  const steps = forwardSteps(model, ids, options);
  try {
    let next = steps.next();
    while (!next.done) next = steps.next(next.value.dataSync() as Float32Array);
    return next.value;
  } finally {
    abandon(steps);
  }
}

/** Runs a generator's `finally` (freeing its tensors) if a read failed before it finished; no-op after. */
function abandon(steps: Generator<tf.Tensor2D, ForwardResult, Float32Array>): void {
  steps.return(undefined as unknown as ForwardResult);
}

/** `mixtralForward` with every read from the device awaited: the form WebGPU (and a busy GPU) needs. */
export async function mixtralForwardAsync(
  model: MixtralModel,
  ids: tf.Tensor2D,
  options: ForwardOptions = {},
): Promise<ForwardResult> {
  checkIds(ids, model.config.vocab_size, options.hostIds ?? (await ids.data()));
  const steps = forwardSteps(model, ids, options);
  try {
    let next = steps.next();
    while (!next.done) next = steps.next((await next.value.data()) as Float32Array);
    return next.value;
  } finally {
    abandon(steps);
  }
}
