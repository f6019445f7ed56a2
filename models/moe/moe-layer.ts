// The sparse Mixture-of-Experts layer: router → top-K → dispatch to K of N experts → weighted combine.
// Same computation as Hugging Face's `MixtralSparseMoeBlock`, with Switch/noisy/dense gates, optional
// expert capacity, auxiliary losses and routing statistics.

import * as tf from '@tensorflow/tfjs-core';
import { denseMaskedMoeBaseline, expertCapacity, planDispatch, sparseMoe } from './dispatch.ts';
import type { DispatchPlan } from './dispatch.ts';
import { initExperts, linearWeight } from './experts.ts';
import type { ExpertWeights } from './experts.ts';
import { moeForwardFlops, moeParams } from '../accounting/flops.ts';
import type { ParamCount } from '../accounting/flops.ts';
import { loadBalancingLoss, routerZLoss } from './losses.ts';
import { checkK } from './check-k.ts';
import { chosenWeights, denseSoftmaxGate, gateLogits, noisyTopKGate, switchGate, topKGate } from './router.ts';
import type { Routing } from './router.ts';

/** Gate family: Mixtral top-K, Switch top-1, noisy top-K (Shazeer 2017), or dense softmax over all experts. */
export type GateKind = 'topk' | 'switch' | 'noisy-topk' | 'softmax';

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
  };
}

/** Fresh trainable weights for `config` (PyTorch nn.Linear initialisation), reproducible from `seed`. */
export function initMoeParams(config: MoeConfig, seed = 0): MoeParams {
  const c = resolveMoeConfig(config);
  const params: MoeParams = {
    wGate: linearWeight(c.numExperts, c.dModel, seed),
    experts: initExperts(c.numExperts, c.dModel, c.dHidden, seed + 1),
  };
  if (c.gate === 'noisy-topk') params.wNoise = linearWeight(c.numExperts, c.dModel, seed + 3 * c.numExperts + 1);
  return params;
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
  const side: { expertTokens: Int32Array; droppedSlots: number; stats: RoutingStats | null } = {
    expertTokens: new Int32Array(0),
    droppedSlots: 0,
    stats: null,
  };
  const tensors = tf.tidy(() => {
    const x2 = tf.reshape(x, [numTokens, c.dModel]) as tf.Tensor2D;
    const logits = gateLogits(x2, params.wGate); // [tokens, numExperts]
    const routing = route(x2, logits, params, c, options);
    const capacity =
      c.capacityFactor === null ? null : expertCapacity(c.capacityFactor, numTokens, c.topK, c.numExperts);
    const plan = planDispatch(routing.expertIndex, c.numExperts, c.topK, capacity);
    side.expertTokens = plan.expertTokens;
    side.droppedSlots = plan.droppedSlots.length;
    const combine = options.dispatch === 'dense-masked-baseline' ? denseMaskedMoeBaseline : sparseMoe;
    const output = tf.reshape(combine(x2, routing.gateWeights, plan, params.experts), x.shape);
    if (options.stats === true) side.stats = routingStats(routing, plan, c);
    const aux = auxLoss(logits, routing, c, options.zLossReadout === true);
    return { output, auxLoss: aux?.total, zLoss: aux?.z };
  });
  return { output: tensors.output, auxLoss: tensors.auxLoss ?? null, zLoss: tensors.zLoss ?? null, ...side };
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
  }
}

function auxLoss(
  logits: tf.Tensor2D,
  routing: Routing,
  c: Required<MoeConfig>,
  readout: boolean,
): { total: tf.Scalar; z?: tf.Scalar } | null {
  const terms: tf.Scalar[] = [];
  if (c.auxLossCoef > 0) terms.push(loadBalancingLoss(routing.probs, routing.expertIndex, c.auxLossCoef));
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
      active: moeForwardFlops(c, numTokens, rows),
      dense: moeForwardFlops(c, numTokens, numTokens * numExperts),
    },
    params: moeParams(c),
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
  expectShape('params.wGate', params.wGate, [n, d]);
  if (params.experts.length !== n) {
    throw new Error(`The config has ${n} experts but params.experts holds ${params.experts.length}.`);
  }
  params.experts.forEach((w, i) => {
    expectShape(`params.experts[${i}].w1`, w.w1, [h, d]);
    expectShape(`params.experts[${i}].w2`, w.w2, [d, h]);
    expectShape(`params.experts[${i}].w3`, w.w3, [h, d]);
  });
  if (c.gate === 'noisy-topk') expectShape('params.wNoise', params.wNoise, [n, d]);
}
