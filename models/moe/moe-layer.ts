// The sparse Mixture-of-Experts layer: router → top-K → dispatch to K of N experts → weighted combine.
// Same computation as Hugging Face's `MixtralSparseMoeBlock`, with Switch/noisy/dense gates, optional
// expert capacity, auxiliary losses and routing statistics — and the designs that came after Mixtral:
// shared experts (shared-experts.ts), DeepSeek-V3's sigmoid gate (sigmoid-gate.ts), expert-choice routing
// (expert-choice.ts) and Soft MoE (soft-moe.ts). Fine-grained experts are only sizes (fine-grained.ts).

import * as tf from '@tensorflow/tfjs-core';
import { denseMaskedMoeBaseline, expertCapacity, planDispatch, sparseMoe } from './dispatch.ts';
import type { DispatchPlan } from './dispatch.ts';
import { initExperts, linearWeight } from './experts.ts';
import type { ExpertWeights } from './experts.ts';
import { moeForwardFlops, moeParams } from '../accounting/flops.ts';
import type { ParamCount } from '../accounting/flops.ts';
import { loadBalancingLoss, routerZLoss, sequenceBalanceLoss } from './losses.ts';
import { expertChoiceGate, expertsOfTokens } from './expert-choice.ts';
import type { ExpertChoiceRouting } from './expert-choice.ts';
import { initSharedExperts, sharedExpertsOutput, sharedHidden } from './shared-experts.ts';
import { sigmoidTopKGate } from './sigmoid-gate.ts';
import { softMoe, softMoeWeights } from './soft-moe.ts';
import { checkK } from './check-k.ts';
import { chosenWeights, denseSoftmaxGate, gateLogits, noisyTopKGate, switchGate, topKGate } from './router.ts';
import type { Routing } from './router.ts';

/**
 * Gate family: Mixtral top-K, Switch top-1, noisy top-K (Shazeer 2017), dense softmax over all experts,
 * DeepSeek-V3's sigmoid top-K, expert choice (each expert picks its tokens) or Soft MoE (slots, no routing).
 */
export type GateKind = 'topk' | 'switch' | 'noisy-topk' | 'softmax' | 'sigmoid' | 'expert-choice' | 'soft-moe';

/** Shape and behaviour of one MoE layer. */
export interface MoeConfig {
  /** Model width d (HF `hidden_size`). */
  dModel: number;
  /** Each expert's hidden width h (HF `intermediate_size`). */
  dHidden: number;
  /** Experts held, N (HF `num_local_experts`). */
  numExperts: number;
  /** Experts used per token, K (HF `num_experts_per_tok`). 'switch' needs 1, 'softmax' needs N. */
  topK: number;
  /** Default 'topk' (Mixtral). */
  gate?: GateKind;
  /** Renormalise the K chosen probabilities (default true, as Mixtral; false as Qwen-MoE). */
  normTopK?: boolean;
  /** Expert capacity factor; null or absent means dropless (every routed token is computed). */
  capacityFactor?: number | null;
  /** α of the load-balancing loss (HF `router_aux_loss_coef`, 0.02 in Mixtral); 0 skips it. */
  auxLossCoef?: number;
  /** β of the router z-loss (ST-MoE used 0.001); 0 skips it. */
  zLossCoef?: number;
  /** S experts every token uses besides the routed ones (DeepSeekMoE §3.2; HF `n_shared_experts`); default 0. */
  sharedExperts?: number;
  /** 'expert-choice': tokens per expert = ⌈group tokens · this / N⌉, the average experts per token; default K. */
  expertChoiceCapacity?: number;
  /** 'soft-moe': slots p per expert (Φ has N·p rows); default 1. */
  slotsPerExpert?: number;
}

/** A layer's weights. Tensors are tfjs Variables from `initMoeParams`, or loaded from a checkpoint. */
export interface MoeParams {
  /** Router weight, HF `gate.weight`: [numExperts, dModel]. */
  wGate: tf.Tensor2D;
  /** HF `experts.{i}.w1/w2/w3.weight`. */
  experts: ExpertWeights[];
  /** Noise projection for 'noisy-topk': [numExperts, dModel]. */
  wNoise?: tf.Tensor2D;
  /** Aux-loss-free balancing bias, used for choosing experts only (see `updateSelectionBias`): [numExperts]. */
  selectionBias?: Float32Array;
  /** The S shared experts, merged into one SwiGLU of width S·dHidden (HF `shared_experts.*`). */
  shared?: ExpertWeights;
}

/** Per-call switches. */
export interface MoeForwardOptions {
  /** Training mode: adds the noisy-top-K noise. */
  training?: boolean;
  /** Seed for that noise, for reproducible runs. */
  seed?: number;
  /** Read back routing statistics (costs one download of the gate weights). */
  stats?: boolean;
  /**
   * Reject NaN/Infinity in the input before any op runs (default true). It costs one readback of x;
   * it is done first because tfjs strands the tensors it saved for gradients if a forward pass throws
   * half way under `tf.grad`/`variableGrads`.
   */
  checkFinite?: boolean;
  /** Router probabilities already read back by the caller (see TopKOptions.probsData): skips the sync read. */
  probsData?: Float32Array;
  /** Also return the z-loss term alone (`MoeOutput.zLoss`), for a training readout. */
  zLossReadout?: boolean;
  /** 'sparse' (default), or the all-experts 'dense-masked-baseline' kept only for benchmarks and tests. */
  dispatch?: 'sparse' | 'dense-masked-baseline';
}

/** Where tokens went and what that cost; returned when `stats: true`. */
export interface RoutingStats {
  /** Chosen experts per token, best first: row-major [tokens, k]. */
  expertIndex: Int32Array;
  /** Their gate weights: row-major [tokens, k]. */
  gateWeights: Float32Array;
  /** Rows each expert computed (after any drops): [numExperts]. */
  expertTokens: Int32Array;
  /** Mean router probability per expert, Pᵢ: [numExperts]. */
  expertMeanProb: Float32Array;
  /** Every token's router probabilities over all experts (before the top-K choice): [tokens, numExperts]. */
  probs: Float32Array;
  /** Slots (token t, choice j) dropped by the capacity limit, as [t, j] pairs. */
  dropped: Array<[number, number]>;
  /** Expert capacity in rows, or null when dropless. */
  capacity: number | null;
  /** Forward FLOPs actually executed, versus running all N experts on every token. */
  flops: { active: number; dense: number };
  params: ParamCount;
  /**
   * 'expert-choice' and 'soft-moe' only: experts each token reached, [tokens] (0 … N). Their `expertIndex`
   * and `gateWeights` are then [tokens, N]: the experts best first, padded with −1 (and weight 0). For
   * Soft MoE an expert's weight is the token's combine weight summed over that expert's slots.
   */
  expertsPerToken?: Int32Array;
}

/** What `moeLayer` returns. The caller owns (and disposes) the tensors. */
export interface MoeOutput {
  /** Same shape as the input. */
  output: tf.Tensor;
  /** α·L_balance + β·L_z, to add to the training loss; null when both coefficients are 0. */
  auxLoss: tf.Scalar | null;
  /** With `zLossReadout`: the β·L_z part of `auxLoss` alone (a copy); else null. The caller disposes it. */
  zLoss: tf.Scalar | null;
  /** Rows each expert computed this call: [numExperts]. Always present (it is free): feed it to the bias update. */
  expertTokens: Int32Array;
  /** Routed slots the capacity limit dropped this call (0 when dropless). */
  droppedSlots: number;
  /** 'expert-choice': tokens no expert chose this call (they skip the layer); 0 for every other gate. */
  unroutedTokens: number;
  stats: RoutingStats | null;
}

/** Checks a config and fills in defaults; throws a sentence that says what to change. */
export function resolveMoeConfig(config: MoeConfig): Required<MoeConfig> {
  const { dModel, dHidden, numExperts, topK } = config;
  for (const [name, v] of [
    ['dModel', dModel],
    ['dHidden', dHidden],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer; got ${v}.`);
  }
  checkK(topK, numExperts);
  const gate = config.gate ?? 'topk';
  if (gate === 'switch' && topK !== 1)
    throw new Error(`The 'switch' gate routes to one expert, so K must be 1; got ${topK}.`);
  if (gate === 'softmax' && topK !== numExperts) {
    throw new Error(
      `The dense 'softmax' gate uses every expert, so K must equal the number of experts (${numExperts}); got ${topK}.`,
    );
  }
  const capacityFactor = config.capacityFactor ?? null;
  if (capacityFactor !== null && !(capacityFactor > 0)) {
    throw new Error(`capacityFactor must be positive, or null for dropless routing; got ${capacityFactor}.`);
  }
  const sharedExperts = config.sharedExperts ?? 0;
  if (!Number.isInteger(sharedExperts) || sharedExperts < 0) {
    throw new Error(`The number of shared experts must be a whole number ≥ 0; got ${sharedExperts}.`);
  }
  const expertChoiceCapacity = config.expertChoiceCapacity ?? topK;
  if (!(expertChoiceCapacity > 0) || expertChoiceCapacity > numExperts) {
    throw new Error(
      `The expert-choice capacity (average experts per token) must be above 0 and at most N = ${numExperts}; got ${expertChoiceCapacity}.`,
    );
  }
  const slotsPerExpert = config.slotsPerExpert ?? 1;
  if (!Number.isInteger(slotsPerExpert) || slotsPerExpert < 1) {
    throw new Error(`Soft MoE needs a whole number of slots per expert, at least 1; got ${slotsPerExpert}.`);
  }
  const auxLossCoef = config.auxLossCoef ?? 0;
  const zLossCoef = config.zLossCoef ?? 0;
  if (!(auxLossCoef >= 0) || !(zLossCoef >= 0)) {
    throw new Error(`Loss coefficients must be 0 or more; got auxLossCoef ${auxLossCoef}, zLossCoef ${zLossCoef}.`);
  }
  return {
    dModel,
    dHidden,
    numExperts,
    topK,
    gate,
    normTopK: config.normTopK ?? true,
    capacityFactor,
    auxLossCoef,
    zLossCoef,
    sharedExperts,
    expertChoiceCapacity,
    slotsPerExpert,
  };
}

/** Fresh trainable weights for `config` (PyTorch nn.Linear initialisation), reproducible from `seed`. */
export function initMoeParams(config: MoeConfig, seed = 0): MoeParams {
  const c = resolveMoeConfig(config);
  const params: MoeParams = {
    wGate: linearWeight(gateRows(c), c.dModel, seed),
    experts: initExperts(c.numExperts, c.dModel, c.dHidden, seed + 1),
  };
  if (c.gate === 'noisy-topk') params.wNoise = linearWeight(c.numExperts, c.dModel, seed + 3 * c.numExperts + 1);
  if (c.sharedExperts > 0) {
    params.shared = initSharedExperts(c.sharedExperts, c.dModel, c.dHidden, seed + 3 * c.numExperts + 2);
  }
  return params;
}

/** Rows of the router weight: one per expert, or for Soft MoE one per slot (Φ, [N·p, d]). */
export function gateRows(config: MoeConfig): number {
  return config.gate === 'soft-moe' ? config.numExperts * (config.slotsPerExpert ?? 1) : config.numExperts;
}

/**
 * The MoE layer: y = Σ over the K chosen experts of gate weight · SwiGLU expert(x), per token.
 * Synchronous (it reads the routing decisions back), so it works inside `tf.variableGrads` and optimisers.
 * @param x [..., dModel]; any leading axes are flattened into tokens.
 */
export function moeLayer(
  x: tf.Tensor,
  params: MoeParams,
  config: MoeConfig,
  options: MoeForwardOptions = {},
): MoeOutput {
  const c = resolveMoeConfig(config);
  checkParams(params, c);
  if (x.shape.length < 2 || x.shape[x.shape.length - 1] !== c.dModel) {
    throw new Error(`The input must have shape [..., ${c.dModel}] (tokens × dModel); got [${x.shape.join(', ')}].`);
  }
  const numTokens = x.size / c.dModel;
  if (options.checkFinite !== false) assertFinite(x, c.dModel);
  // JavaScript results leave the tidy through this object: returning typed arrays from tf.tidy makes it
  // walk every element looking for tensors.
  const side: MoeSide = { expertTokens: new Int32Array(0), droppedSlots: 0, unroutedTokens: 0, stats: null };
  // Sequences are the groups expert choice, Soft MoE and the sequence-wise loss work within.
  const groupSize = x.shape.length >= 3 ? x.shape[x.shape.length - 2]! : numTokens;
  const tensors = tf.tidy(() => {
    const x2 = tf.reshape(x, [numTokens, c.dModel]) as tf.Tensor2D;
    const variant =
      c.gate === 'soft-moe'
        ? softMoeLayer(x2, groupSize, params, c, options, side)
        : c.gate === 'expert-choice'
          ? expertChoiceLayer(x2, groupSize, params, c, options, side)
          : null;
    if (variant) return { ...variant, output: tf.reshape(withShared(x2, variant.output, params), x.shape) };
    const logits = gateLogits(x2, params.wGate); // [tokens, numExperts]
    const routing = route(x2, logits, params, c, options);
    const capacity =
      c.capacityFactor === null ? null : expertCapacity(c.capacityFactor, numTokens, c.topK, c.numExperts);
    const plan = planDispatch(routing.expertIndex, c.numExperts, c.topK, capacity);
    side.expertTokens = plan.expertTokens;
    side.droppedSlots = plan.droppedSlots.length;
    const combine = options.dispatch === 'dense-masked-baseline' ? denseMaskedMoeBaseline : sparseMoe;
    const routed = combine(x2, routing.gateWeights, plan, params.experts);
    const output = tf.reshape(withShared(x2, routed, params), x.shape);
    if (options.stats === true) side.stats = routingStats(routing, plan, c);
    const aux = auxLoss(logits, routing, c, options.zLossReadout === true, groupSize);
    return { output, auxLoss: aux?.total, zLoss: aux?.z };
  });
  return { output: tensors.output, auxLoss: tensors.auxLoss ?? null, zLoss: tensors.zLoss ?? null, ...side };
}

/** The JavaScript results of a call, set inside its tidy. */
interface MoeSide {
  expertTokens: Int32Array;
  droppedSlots: number;
  unroutedTokens: number;
  stats: RoutingStats | null;
}

/** What a variant's own path hands back to `moeLayer`: the routed part of the output and its losses. */
interface VariantOutput {
  output: tf.Tensor2D;
  auxLoss?: tf.Scalar;
  zLoss?: tf.Scalar;
}

/** routed + Σ shared experts (DeepSeekMoE eq. 9); the routed output alone when there are none. */
function withShared(x: tf.Tensor2D, routed: tf.Tensor2D, params: MoeParams): tf.Tensor2D {
  return params.shared ? (tf.add(routed, sharedExpertsOutput(x, params.shared)) as tf.Tensor2D) : routed;
}

/** Expert choice: each expert takes its top-c tokens of each sequence (expert-choice.ts). */
function expertChoiceLayer(
  x2: tf.Tensor2D,
  groupSize: number,
  params: MoeParams,
  c: Required<MoeConfig>,
  options: MoeForwardOptions,
  side: MoeSide,
): VariantOutput {
  const logits = gateLogits(x2, params.wGate);
  const routing = expertChoiceGate(logits, groupSize, c.expertChoiceCapacity, options.probsData);
  const { plan } = routing;
  side.expertTokens = plan.expertTokens;
  side.unroutedTokens = routing.expertsPerToken.filter((n) => n === 0).length;
  const combine = options.dispatch === 'dense-masked-baseline' ? denseMaskedMoeBaseline : sparseMoe;
  const output = combine(x2, routing.probs, plan, params.experts);
  if (options.stats === true) side.stats = expertChoiceStats(routing, c);
  // Balanced by construction, so no balancing loss (Zhou et al. 2022 §3.1); the z-loss still applies.
  const z = c.zLossCoef > 0 ? routerZLoss(logits, c.zLossCoef) : undefined;
  return { output, auxLoss: z, zLoss: z && options.zLossReadout === true ? (tf.clone(z) as tf.Scalar) : undefined };
}

/** Soft MoE over each sequence (soft-moe.ts); dense, so nothing to balance and nothing dropped. */
function softMoeLayer(
  x2: tf.Tensor2D,
  groupSize: number,
  params: MoeParams,
  c: Required<MoeConfig>,
  options: MoeForwardOptions,
  side: MoeSide,
): VariantOutput {
  const groups = x2.shape[0] / groupSize;
  const x3 = tf.reshape(x2, [groups, groupSize, c.dModel]) as tf.Tensor3D;
  side.expertTokens = new Int32Array(c.numExperts).fill(groups * c.slotsPerExpert); // slots, not tokens
  if (options.stats === true) side.stats = softMoeStats(x3, params.wGate, c);
  return { output: tf.reshape(softMoe(x3, params.wGate, params.experts), x2.shape) as tf.Tensor2D };
}

function softMoeStats(x3: tf.Tensor3D, phi: tf.Tensor2D, c: Required<MoeConfig>): RoutingStats {
  const { numExperts: n, slotsPerExpert: p } = c;
  const combine = tf.tidy(() => softMoeWeights(x3, phi).combine).dataSync() as Float32Array; // [tokens, n·p]
  const tokens = combine.length / (n * p);
  const mass = new Float32Array(tokens * n); // combine weight per expert: [tokens, n]
  combine.forEach((w, i) => (mass[Math.floor(i / (n * p)) * n + Math.floor((i % (n * p)) / p)]! += w));
  const expertIndex = new Int32Array(tokens * n);
  const gateWeights = new Float32Array(tokens * n);
  const expertMeanProb = new Float32Array(n);
  for (let t = 0; t < tokens; t++) {
    const row = Array.from({ length: n }, (_, e) => e).sort((a, b) => mass[t * n + b]! - mass[t * n + a]! || a - b);
    row.forEach((e, j) => {
      expertIndex[t * n + j] = e;
      gateWeights[t * n + j] = mass[t * n + e]!;
      expertMeanProb[e]! += mass[t * n + e]! / tokens;
    });
  }
  const slotRows = (tokens / x3.shape[1]) * n * p;
  return {
    expertIndex,
    gateWeights,
    expertTokens: new Int32Array(n).fill(slotRows / n),
    expertMeanProb,
    probs: mass,
    dropped: [],
    capacity: null,
    flops: { active: moeForwardFlops(c, tokens, slotRows), dense: moeForwardFlops(c, tokens, tokens * n) },
    params: withSharedParams(moeParams(c), c),
    expertsPerToken: new Int32Array(tokens).fill(n),
  };
}

function expertChoiceStats(routing: ExpertChoiceRouting, c: Required<MoeConfig>): RoutingStats {
  const { plan, probsData, expertsPerToken } = routing;
  const { numTokens, numExperts } = plan;
  const expertMeanProb = new Float32Array(numExperts);
  for (let i = 0; i < probsData.length; i++) expertMeanProb[i % numExperts]! += probsData[i]! / numTokens;
  return {
    ...expertsOfTokens(routing),
    expertTokens: plan.expertTokens,
    expertMeanProb,
    probs: probsData,
    dropped: [],
    capacity: plan.capacity,
    flops: {
      active: moeForwardFlops(c, numTokens, plan.slots.length) + sharedFlops(c, numTokens),
      dense: moeForwardFlops(c, numTokens, numTokens * numExperts) + sharedFlops(c, numTokens),
    },
    params: withSharedParams(moeParams(c), c),
    expertsPerToken,
  };
}

/** Forward FLOPs of the shared experts: every token through a SwiGLU of width S·h. */
function sharedFlops(c: Required<MoeConfig>, tokens: number): number {
  return c.sharedExperts === 0 ? 0 : 2 * tokens * 3 * c.dModel * sharedHidden(c.sharedExperts, c.dHidden);
}

/** Shared experts count in both the total and the active parameters: every token uses them. */
function withSharedParams(count: ParamCount, c: Required<MoeConfig>): ParamCount {
  const shared = 3 * c.dModel * sharedHidden(c.sharedExperts, c.dHidden);
  const router = c.gate === 'soft-moe' ? (c.slotsPerExpert - 1) * c.numExperts * c.dModel : 0;
  return { total: count.total + shared + router, active: count.active + shared + router };
}

function route(
  x: tf.Tensor2D,
  logits: tf.Tensor2D,
  params: MoeParams,
  c: Required<MoeConfig>,
  options: MoeForwardOptions,
): Routing {
  const selectionBias = params.selectionBias;
  const probsData = options.probsData;
  switch (c.gate) {
    case 'softmax':
      return denseSoftmaxGate(logits);
    case 'switch':
      return switchGate(logits, { selectionBias, probsData });
    case 'noisy-topk': {
      if (options.training !== true) return topKGate(logits, c.topK, { normTopK: c.normTopK, selectionBias });
      const noise = tf.randomNormal(logits.shape, 0, 1, 'float32', options.seed) as tf.Tensor2D;
      return noisyTopKGate(logits, c.topK, gateLogits(x, params.wNoise!), noise, {
        normTopK: c.normTopK,
        selectionBias,
      });
    }
    case 'topk':
      return topKGate(logits, c.topK, { normTopK: c.normTopK, selectionBias, probsData });
    case 'sigmoid':
      return sigmoidTopKGate(logits, c.topK, { normTopK: c.normTopK, selectionBias, probsData });
    case 'expert-choice':
    case 'soft-moe':
      throw new Error(`The '${c.gate}' gate has its own path in moeLayer.`);
  }
}

function auxLoss(
  logits: tf.Tensor2D,
  routing: Routing,
  c: Required<MoeConfig>,
  readout: boolean,
  seqLen: number,
): { total: tf.Scalar; z?: tf.Scalar } | null {
  const terms: tf.Scalar[] = [];
  if (c.auxLossCoef > 0) {
    terms.push(
      c.gate === 'sigmoid'
        ? sequenceBalanceLoss(routing.probs, routing.expertIndex, c.topK, seqLen, c.auxLossCoef)
        : loadBalancingLoss(routing.probs, routing.expertIndex, c.auxLossCoef),
    );
  }
  const z = c.zLossCoef > 0 ? routerZLoss(logits, c.zLossCoef) : undefined;
  if (z) terms.push(z);
  if (terms.length === 0) return null;
  const total = terms.length === 1 ? terms[0]! : (tf.addN(terms) as tf.Scalar);
  // The readout gets its own tensor: `total` may be `z` itself, and the caller disposes both.
  return { total, z: z && readout ? (tf.clone(z) as tf.Scalar) : undefined };
}

function routingStats(routing: Routing, plan: DispatchPlan, c: Required<MoeConfig>): RoutingStats {
  const { numTokens, numExperts, k } = plan;
  const expertMeanProb = new Float32Array(numExperts);
  for (let i = 0; i < routing.probsData.length; i++)
    expertMeanProb[i % numExperts]! += routing.probsData[i]! / numTokens;
  const rows = plan.slots.length;
  return {
    expertIndex: routing.expertIndex,
    gateWeights: chosenWeights(
      routing.probsData,
      routing.expertIndex,
      numExperts,
      k,
      c.gate !== 'switch' && c.normTopK,
    ),
    expertTokens: plan.expertTokens,
    expertMeanProb,
    probs: routing.probsData,
    dropped: Array.from(plan.droppedSlots, (s): [number, number] => [Math.floor(s / k), s % k]),
    capacity: plan.capacity,
    flops: {
      active: moeForwardFlops(c, numTokens, rows) + sharedFlops(c, numTokens),
      dense: moeForwardFlops(c, numTokens, numTokens * numExperts) + sharedFlops(c, numTokens),
    },
    params: withSharedParams(moeParams(c), c),
  };
}

function assertFinite(x: tf.Tensor, dModel: number): void {
  const data = x.dataSync();
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const where = `token ${Math.floor(i / dModel)}, feature ${i % dModel}`;
      throw new Error(`The input holds a non-finite value (${data[i]}) at ${where}; MoE layers need finite inputs.`);
    }
  }
}

function checkParams(params: MoeParams, c: Required<MoeConfig>): void {
  const expectShape = (name: string, t: tf.Tensor | undefined, shape: number[]): void => {
    if (t === undefined)
      throw new Error(`${name} is missing; the '${c.gate}' gate needs it with shape [${shape.join(', ')}].`);
    if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
      throw new Error(`${name} must have shape [${shape.join(', ')}] for this config; got [${t.shape.join(', ')}].`);
    }
  };
  const { dModel: d, dHidden: h, numExperts: n } = c;
  expectShape('params.wGate', params.wGate, [gateRows(c), d]);
  if (params.experts.length !== n) {
    throw new Error(`The config has ${n} experts but params.experts holds ${params.experts.length}.`);
  }
  params.experts.forEach((w, i) => {
    expectShape(`params.experts[${i}].w1`, w.w1, [h, d]);
    expectShape(`params.experts[${i}].w2`, w.w2, [d, h]);
    expectShape(`params.experts[${i}].w3`, w.w3, [h, d]);
  });
  if (c.gate === 'noisy-topk') expectShape('params.wNoise', params.wNoise, [n, d]);
  if (c.sharedExperts > 0) {
    const sh = sharedHidden(c.sharedExperts, h);
    if (!params.shared) throw new Error(`params.shared is missing; ${c.sharedExperts} shared experts need it.`);
    expectShape('params.shared.w1', params.shared.w1, [sh, d]);
    expectShape('params.shared.w2', params.shared.w2, [d, sh]);
    expectShape('params.shared.w3', params.shared.w3, [sh, d]);
  } else if (params.shared) {
    throw new Error('params.shared is set but the config has no shared experts; set sharedExperts.');
  }
}
