/**
 * One training run, as a reader (or a notebook, or a URL) describes it: the model (fresh, or a checkpoint
 * to fine-tune), its routing (N, K, aux-loss and z-loss coefficients, capacity factor, aux-loss-free bias
 * balancing), the optimiser's schedule, steps, batch, sequence length, seed and the data (a genre subset).
 *
 * `validateTrainRun` is the one gate in front of training: it turns untrusted input into a typed run or a
 * list of sentences saying what to change, and estimates the memory the run will need — weights, gradients,
 * AdamW's moments and the activations the autograd tape keeps — before anything is allocated, so a run that
 * would not fit is refused instead of crashing the tab half way through step 0.
 *
 * Facts come from their own modules: K ≤ N from router.ts, the config.json rules from config.ts, parameter
 * counts from params.ts, bytes per fp32 weight from memory.ts, genres from corpus.ts. Pure: no tfjs.
 */

import { headDim, parseMixtralConfig, type MixtralConfig, type MoeRouting, type ScoringFunc } from '../nn/config.ts';
import { formatBytes } from '../format.ts';
import { GENRES } from '../text/corpus.ts';
import { BYTES_PER_WEIGHT } from '../accounting/memory.ts';
import { countParameters } from '../accounting/params.ts';
import { checkK } from '../moe/check-k.ts';
import type { TokenDataManifest } from '../text/token-data.ts';

/** A model trained from random weights. */
export interface FreshModel {
  from: 'fresh';
  /** N: experts per layer (1 = a dense model). */
  experts: number;
  /** K: experts per token. */
  topK: number;
  /** d: hidden_size. */
  hidden: number;
  /** h: each expert's intermediate_size. */
  intermediate: number;
  layers: number;
  heads: number;
  /** Grouped-query attention: K/V heads, each shared by heads / kvHeads query heads. */
  kvHeads: number;
  tieEmbeddings: boolean;
  /**
   * The designs after Mixtral, all optional (absent = Mixtral). Fine-grained experts need no field of their
   * own: they are more, narrower experts with a larger K (models/moe/fine-grained.ts turns one into the other).
   */
  /** S shared experts every token uses, besides the K of N routed (DeepSeekMoE §3.2); default 0. */
  sharedExperts?: number;
  /** Router scores: 'softmax' (Mixtral, default) or 'sigmoid' (DeepSeek-V3 §2.1.2). */
  scoring?: ScoringFunc;
  /** 'token-choice' (default), 'expert-choice' (Zhou et al. 2022) or 'soft-moe' (Puigcerver et al. 2023). */
  router?: MoeRouting;
  /** Expert choice: average experts per token (the paper's capacity factor c); default K. */
  expertCapacity?: number;
  /** Soft MoE: slots per expert; default seqLen·K/N, the slot rows a top-K layer would compute. */
  slotsPerExpert?: number;
}

/** A shipped or saved checkpoint to continue training (fine-tuning); its config.json fixes the sizes. */
export interface CheckpointModel {
  from: 'checkpoint';
  /** Its name, e.g. `e8-top2`; the caller resolves it and passes its config.json to the validator. */
  checkpoint: string;
}

/** How tokens are routed while training. */
export interface RoutingOptions {
  /** α of the load-balancing loss (Switch Transformer eq. 4; Mixtral's config uses 0.02). */
  auxLossCoef: number;
  /** β of the router z-loss (ST-MoE eq. 5 used 0.001). */
  zLossCoef: number;
  /** Expert capacity factor (GShard §2.2): tokens past ⌈factor·tokens·K/N⌉ per expert are dropped; null = dropless. */
  capacityFactor: number | null;
  /** Aux-loss-free balancing (DeepSeek-V3 §2.1.2): per-expert selection bias updated at this rate γ; null = off. */
  biasUpdateRate: number | null;
}

/** AdamW and its learning-rate schedule (models/optim.ts). */
export interface ScheduleOptions {
  /** Peak learning rate, after warm-up. */
  lr: number;
  /** Learning rate at the end of the cosine. */
  minLr: number;
  /** Linear warm-up steps. */
  warmup: number;
  weightDecay: number;
  beta2: number;
  /** Global gradient-norm clip; 0 = none. */
  clip: number;
}

/** A whole training run. */
export interface TrainRun {
  model: FreshModel | CheckpointModel;
  routing: RoutingOptions;
  schedule: ScheduleOptions;
  steps: number;
  /** Sequences per batch. */
  batch: number;
  /** Tokens per sequence. */
  seqLen: number;
  /** Seeds the initial weights and the batches. */
  seed: number;
  /** Train on these genres' documents only (letters, models/corpus.ts GENRES); null = the whole split. */
  data: TrainData;
  /**
   * Which weights the optimiser updates (see `TRAINABLE`); absent = all of them. Fine-tuning with only the
   * attention and router weights is one of the parameter subsets ST-MoE §4.2 compares.
   */
  trainable?: Trainable;
}

export interface TrainData {
  genres: string[] | null;
  /** Train on the first this many tokens of the chosen documents only (a small fine-tuning slice); absent = all. */
  maxTokens?: number;
  /** Measure validation loss on the chosen genres' validation documents; absent or false = the whole split. */
  validateOnGenres?: boolean;
}

/**
 * The parameter groups a run can train: `all`, or `attention-router` — every layer's attention projections and
 * router only, with embeddings, norms, the LM head and every expert (the dense model's feed-forward block)
 * frozen bit for bit.
 */
export const TRAINABLE = ['all', 'attention-router'] as const;
export type Trainable = (typeof TRAINABLE)[number];

/** Whether the weight named `name` (Hugging Face's Mixtral names) is updated under `trainable`. */
export function isTrainable(name: string, trainable: Trainable = 'all'): boolean {
  if (trainable === 'all') return true;
  return /\.self_attn\./.test(name) || /\.block_sparse_moe\.gate\./.test(name);
}

/**
 * The shipped `e8-top2` recipe (its training.json), shortened to 300 steps: small enough to train in a
 * browser tab, long enough for the loss to fall visibly.
 */
export const DEFAULT_TRAIN_RUN: TrainRun = {
  model: {
    from: 'fresh',
    experts: 8,
    topK: 2,
    hidden: 64,
    intermediate: 128,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    tieEmbeddings: false,
  },
  routing: { auxLossCoef: 0.02, zLossCoef: 0.001, capacityFactor: null, biasUpdateRate: null },
  schedule: { lr: 3e-3, minLr: 3e-4, warmup: 100, weightDecay: 0.1, beta2: 0.95, clip: 1 },
  steps: 300,
  batch: 16,
  seqLen: 64,
  seed: 1,
  data: { genres: null },
};

/**
 * Upper bounds that no run in a browser tab can sensibly exceed; they catch typos (a hidden size of 64000)
 * before the memory estimate does, with a message about the field rather than about bytes.
 */
const LIMITS = {
  experts: 64,
  hidden: 2048,
  intermediate: 8192,
  layers: 32,
  heads: 64,
  steps: 100_000,
  batch: 512,
  seqLen: 2048,
} as const;

/**
 * Memory a run may use unless the caller says otherwise: 1 GB. A design choice, not a measurement: a
 * 32-bit WebAssembly heap tops out at 4.29 GB (2³² bytes), and the page, the backend's scratch buffers and the browser
 * need their share.
 */
export const DEFAULT_TRAIN_MEMORY_BUDGET = 1e9;

/** What the validator needs to know besides the run itself. */
export interface TrainRunContext {
  /** The tokenizer's vocabulary (rows of the embedding) and end-of-text id, for a fresh model. */
  vocabSize: number;
  endOfTextId: number;
  /** config.json of `model.checkpoint`, when the run starts from a checkpoint. */
  checkpointConfig?: unknown;
  /** The token data's manifest: lets the validator check that the chosen genres hold one window. */
  data?: TokenDataManifest;
  /** Refuse runs estimated to need more bytes than this (default DEFAULT_TRAIN_MEMORY_BUDGET). */
  memoryBudgetBytes?: number;
}

/** Bytes a training step holds at its peak, by what holds them. */
export interface TrainingMemoryEstimate {
  parameters: number;
  /** The fp32 weights. */
  weights: number;
  /** Raw gradients and their clipped copies: both sets are alive while AdamW applies them (models/train.ts). */
  gradients: number;
  /** AdamW's first and second moments. */
  optimizer: number;
  /** Forward-pass tensors the autograd tape keeps for the backward pass (see `activationFloats`). */
  activations: number;
  total: number;
}

export type TrainRunValidation =
  | { ok: true; run: TrainRun; modelConfig: MixtralConfig; memory: TrainingMemoryEstimate }
  | { ok: false; errors: string[] };

const FP32 = BYTES_PER_WEIGHT.fp32;

/**
 * Floats in use at the peak of one training step beyond the weights, gradients and AdamW state: the
 * tensors the autograd tape keeps from the forward pass plus the backward pass's own, which peak together.
 * Counted per token (n = batch · seqLen) and per layer, with coefficients fitted to tfjs's own accounting
 * (`tf.profile` peakBytes, identical on the cpu and wasm backends) by varying one size at a time:
 * - per layer: 75 per residual width d (norms, q/k/v/o projections and RoPE at heads·head_dim = d),
 *   26 per key/value width, 26 per expert (router logits, probabilities and their gradients), and per chosen
 *   expert 14 per intermediate width h + 7 per d + 21 (gathered rows, SwiGLU, weighting);
 *   10 per attention score, batch · heads · seqLen² (scores, mask, softmax and their gradients);
 * - once: 14 per vocabulary entry (logits, log-softmax, the one-hot mask and their gradients) and 14 per d.
 * The unit test holds the estimate to within 0.9–1.3× of the measured peak for dense and MoE configs.
 */
export function activationFloats(config: MixtralConfig, batch: number, seqLen: number): number {
  const n = batch * seqLen;
  const d = config.hidden_size;
  const kvWidth = config.num_key_value_heads * headDim(config);
  const perChosenExpert = 14 * config.intermediate_size + 7 * d + 21;
  // Shared experts keep what a chosen expert keeps, for every token (not fitted separately: an estimate).
  const perToken = config.num_experts_per_tok + (config.n_shared_experts ?? 0);
  const perLayer =
    n * (75 * d + 26 * kvWidth + 26 * config.num_local_experts + perToken * perChosenExpert) +
    10 * batch * config.num_attention_heads * seqLen * seqLen;
  return config.num_hidden_layers * perLayer + n * (14 * config.vocab_size + 14 * d);
}

/** Weights, gradients, AdamW state and activations of a training step, in bytes. */
export function trainingMemory(config: MixtralConfig, batch: number, seqLen: number): TrainingMemoryEstimate {
  const parameters = countParameters(config).total;
  const weights = parameters * FP32;
  const gradients = 2 * parameters * FP32;
  const optimizer = 2 * parameters * FP32;
  const activations = activationFloats(config, batch, seqLen) * FP32;
  return {
    parameters,
    weights,
    gradients,
    optimizer,
    activations,
    total: weights + gradients + optimizer + activations,
  };
}

/** Collects one sentence per problem instead of stopping at the first, so a form can show them all. */
class Problems {
  readonly list: string[] = [];
  add(sentence: string): void {
    this.list.push(sentence);
  }
  /** `value` as a number in [min, max] (whole when `integer`); NaN after adding a sentence when it is not. */
  number(
    label: string,
    value: unknown,
    rule: { min: number; max: number; integer?: boolean; above?: boolean },
  ): number {
    const kind = rule.integer ? 'a whole number' : 'a number';
    const range = rule.above ? `above ${rule.min} and at most ${rule.max}` : `from ${rule.min} to ${rule.max}`;
    if (typeof value !== 'number' || !Number.isFinite(value) || (rule.integer && !Number.isInteger(value))) {
      this.add(`${label} must be ${kind} ${range}; got ${describe(value)}.`);
      return NaN;
    }
    if ((rule.above ? value <= rule.min : value < rule.min) || value > rule.max) {
      this.add(`${label} must be ${range}; got ${value}.`);
      return NaN;
    }
    return value;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const field = (obj: unknown, key: string): unknown => (isObject(obj) ? obj[key] : undefined);

function readFreshModel(raw: unknown, p: Problems): FreshModel {
  const whole = (label: string, key: string, max: number): number =>
    p.number(label, field(raw, key), { min: 1, max, integer: true });
  const experts = whole('The number of experts N', 'experts', LIMITS.experts);
  const topK = p.number('K (experts per token)', field(raw, 'topK'), { min: 1, max: LIMITS.experts, integer: true });
  if (Number.isInteger(experts) && Number.isInteger(topK)) {
    try {
      checkK(topK, experts);
    } catch (error) {
      p.add((error as Error).message);
    }
  }
  const tie = field(raw, 'tieEmbeddings');
  if (typeof tie !== 'boolean') p.add(`tieEmbeddings must be true or false; got ${describe(tie)}.`);
  const model: FreshModel = {
    from: 'fresh',
    experts,
    topK,
    hidden: whole('The hidden size d', 'hidden', LIMITS.hidden),
    intermediate: whole("Each expert's intermediate size h", 'intermediate', LIMITS.intermediate),
    layers: whole('The number of layers', 'layers', LIMITS.layers),
    heads: whole('The number of attention heads', 'heads', LIMITS.heads),
    kvHeads: whole('The number of key/value heads', 'kvHeads', LIMITS.heads),
    tieEmbeddings: tie === true,
  };
  readVariant(raw, p, model);
  return model;
}

const SCORINGS: readonly ScoringFunc[] = ['softmax', 'sigmoid'];
const ROUTERS: readonly MoeRouting[] = ['token-choice', 'expert-choice', 'soft-moe'];

/** The optional post-Mixtral fields of a fresh model; each is copied only when given. */
function readVariant(raw: unknown, p: Problems, model: FreshModel): void {
  const shared = field(raw, 'sharedExperts');
  if (shared !== undefined) {
    model.sharedExperts = p.number('The number of shared experts', shared, {
      min: 0,
      max: LIMITS.experts,
      integer: true,
    });
  }
  const scoring = field(raw, 'scoring');
  if (scoring !== undefined) {
    if (SCORINGS.includes(scoring as ScoringFunc)) model.scoring = scoring as ScoringFunc;
    else p.add(`The router scoring must be ${SCORINGS.join(' or ')}; got ${describe(scoring)}.`);
  }
  const router = field(raw, 'router');
  if (router !== undefined) {
    if (ROUTERS.includes(router as MoeRouting)) model.router = router as MoeRouting;
    else p.add(`The routing must be one of ${ROUTERS.join(', ')}; got ${describe(router)}.`);
  }
  const capacity = field(raw, 'expertCapacity');
  if (capacity !== undefined) {
    model.expertCapacity = p.number('The expert-choice capacity (experts per token on average)', capacity, {
      min: 0,
      max: LIMITS.experts,
      above: true,
    });
    if (model.expertCapacity > model.experts) {
      p.add(
        `The expert-choice capacity (${model.expertCapacity}) must not exceed the number of experts (${model.experts}).`,
      );
    }
  }
  const slots = field(raw, 'slotsPerExpert');
  if (slots !== undefined) {
    model.slotsPerExpert = p.number('The slots per expert', slots, { min: 1, max: LIMITS.seqLen, integer: true });
  }
  if (model.scoring === 'sigmoid' && model.router !== undefined && model.router !== 'token-choice') {
    p.add(`The sigmoid gate picks experts for each token; it cannot be combined with ${model.router} routing.`);
  }
  if (capacity !== undefined && model.router !== 'expert-choice') {
    p.add(
      'An expert-choice capacity only applies with expert-choice routing; remove it or set router to expert-choice.',
    );
  }
  if (slots !== undefined && model.router !== 'soft-moe') {
    p.add('Slots per expert only apply to Soft MoE; remove them or set router to soft-moe.');
  }
}

/** Refusals that need both the model and the routing options. */
function checkVariantRouting(model: FreshModel, routing: RoutingOptions, p: Problems): void {
  const router = model.router ?? 'token-choice';
  if (router === 'token-choice') return;
  const name = router === 'soft-moe' ? 'Soft MoE' : 'Expert choice';
  if (routing.capacityFactor !== null) {
    p.add(`${name} drops no routed token, so it takes no capacity factor; set the capacity factor to none.`);
  }
  if (routing.biasUpdateRate !== null) {
    p.add(`${name} is balanced by construction, so bias balancing has nothing to do; turn it off.`);
  }
}

function readRouting(raw: unknown, p: Problems, experts: number): RoutingOptions {
  const coef = (label: string, key: string): number => p.number(label, field(raw, key), { min: 0, max: 1 });
  const optional = (label: string, key: string, max: number): number | null => {
    const value = field(raw, key);
    return value === null ? null : p.number(`${label} (or none)`, value, { min: 0, max, above: true });
  };
  const routing: RoutingOptions = {
    auxLossCoef: coef('The load-balancing loss coefficient α', 'auxLossCoef'),
    zLossCoef: coef('The router z-loss coefficient β', 'zLossCoef'),
    capacityFactor: optional('The capacity factor', 'capacityFactor', 16),
    biasUpdateRate: optional('The bias balancing rate γ', 'biasUpdateRate', 1),
  };
  if (experts === 1 && routing.biasUpdateRate !== null) {
    p.add('Bias balancing spreads tokens over experts, so it needs at least 2 experts; turn it off for a dense model.');
  }
  return routing;
}

function readSchedule(raw: unknown, p: Problems, steps: number): ScheduleOptions {
  const schedule: ScheduleOptions = {
    lr: p.number('The learning rate', field(raw, 'lr'), { min: 0, max: 1, above: true }),
    minLr: p.number('The final learning rate', field(raw, 'minLr'), { min: 0, max: 1 }),
    warmup: p.number('The warm-up', field(raw, 'warmup'), { min: 0, max: LIMITS.steps, integer: true }),
    weightDecay: p.number('The weight decay', field(raw, 'weightDecay'), { min: 0, max: 1 }),
    beta2: p.number("AdamW's β₂", field(raw, 'beta2'), { min: 0, max: 0.9999, above: true }),
    clip: p.number('The gradient clip (0 for none)', field(raw, 'clip'), { min: 0, max: 1000 }),
  };
  if (schedule.minLr > schedule.lr) {
    p.add(`The final learning rate (${schedule.minLr}) must not exceed the peak learning rate (${schedule.lr}).`);
  }
  if (schedule.warmup > steps)
    p.add(`The warm-up (${schedule.warmup} steps) must not be longer than the run (${steps} steps).`);
  return schedule;
}

function readTrainable(raw: unknown, p: Problems): Trainable | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'string' && (TRAINABLE as readonly string[]).includes(raw)) return raw as Trainable;
  p.add(`trainable must be one of ${TRAINABLE.map((t) => `"${t}"`).join(', ')}; got ${describe(raw)}.`);
  return undefined;
}

/** The optional slice and validation settings of `data`, checked. */
function readDataOptions(raw: unknown, p: Problems): Pick<TrainData, 'maxTokens' | 'validateOnGenres'> {
  const out: Pick<TrainData, 'maxTokens' | 'validateOnGenres'> = {};
  const maxTokens = field(raw, 'maxTokens');
  if (maxTokens !== undefined) {
    out.maxTokens = p.number('The training slice (tokens)', maxTokens, { min: 2, max: 1e7, integer: true });
  }
  const onGenres = field(raw, 'validateOnGenres');
  if (onGenres !== undefined) {
    if (typeof onGenres !== 'boolean') p.add(`validateOnGenres must be true or false; got ${describe(onGenres)}.`);
    else out.validateOnGenres = onGenres;
  }
  return out;
}

/** Tokens the chosen genres hold in the validation split. */
function validationGenreTokens(manifest: TokenDataManifest, genres: string[] | null): number {
  const docs = manifest.splits.validation.documents.filter((d) => genres === null || genres.includes(d.genre));
  return docs.reduce((n, d) => n + d.length + 1, 0);
}

function readGenres(raw: unknown, p: Problems): string[] | null {
  const genres = field(raw, 'genres');
  if (genres === null) return null;
  const codes = GENRES.map((g) => g.code);
  if (!Array.isArray(genres) || genres.length === 0 || !genres.every((g) => typeof g === 'string')) {
    p.add(`The genres must be a list of at least one Brown Corpus genre (${codes.join(', ')}), or none for all.`);
    return null;
  }
  const unknown = genres.filter((g) => !codes.includes(g));
  if (unknown.length > 0)
    p.add(`Unknown genre ${unknown.join(', ')}; the Brown Corpus genres are ${codes.join(', ')}.`);
  return [...new Set(genres)];
}

/**
 * The Mixtral config.json a fresh run trains: the one builder the browser's runs and `npm run moe -- train`
 * share, so both start from the same config for the same settings.
 */
export function freshConfig(
  model: FreshModel,
  routing: Pick<RoutingOptions, 'auxLossCoef' | 'zLossCoef'>,
  seqLen: number,
  context: Pick<TrainRunContext, 'vocabSize' | 'endOfTextId'>,
  torchDtype: 'float16' | 'bfloat16' | 'float32' = 'float16',
): unknown {
  // Switch-style top-1: renormalising a single weight gives 1 and cuts the router off from the LM loss,
  // so K = 1 keeps the raw probability as the Switch Transformer does (Fedus et al. 2022, eq. 2).
  const switchStyle = model.topK === 1 && model.experts > 1;
  return {
    model_type: 'mixtral',
    architectures: ['MixtralForCausalLM'],
    vocab_size: context.vocabSize,
    hidden_size: model.hidden,
    intermediate_size: model.intermediate,
    num_hidden_layers: model.layers,
    num_attention_heads: model.heads,
    num_key_value_heads: model.kvHeads,
    num_local_experts: model.experts,
    num_experts_per_tok: model.topK,
    max_position_embeddings: seqLen,
    rope_theta: 10000,
    tie_word_embeddings: model.tieEmbeddings,
    router_aux_loss_coef: routing.auxLossCoef,
    router_z_loss_coef: routing.zLossCoef,
    torch_dtype: torchDtype,
    bos_token_id: context.endOfTextId,
    eos_token_id: context.endOfTextId,
    pad_token_id: null,
    ...(switchStyle ? { norm_topk_prob: false } : {}),
    ...variantFields(model, seqLen),
  };
}

/** The config.json fields of the post-Mixtral options a fresh model sets; none for a Mixtral. */
function variantFields(model: FreshModel, seqLen: number): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (model.sharedExperts) fields.n_shared_experts = model.sharedExperts;
  if (model.scoring === 'sigmoid') fields.scoring_func = 'sigmoid';
  if (model.router === 'expert-choice') {
    fields.moe_routing = 'expert-choice';
    fields.expert_choice_capacity_factor = model.expertCapacity ?? model.topK;
  }
  if (model.router === 'soft-moe') {
    fields.moe_routing = 'soft-moe';
    // As many slot rows per sequence as a top-K layer computes token rows: seqLen·K over N experts.
    fields.num_slots_per_expert =
      model.slotsPerExpert ?? Math.max(1, Math.round((seqLen * model.topK) / model.experts));
  }
  return fields;
}

/** Tokens the chosen genres hold in the training split, from the manifest's document index. */
function genreTokens(manifest: TokenDataManifest, genres: string[] | null): number {
  const docs = manifest.splits.train.documents.filter((d) => genres === null || genres.includes(d.genre));
  return docs.reduce((n, d) => n + d.length + 1, 0);
}

/**
 * Checks a training run from untrusted input (a form, a URL, a notebook) and estimates its memory. Returns
 * the typed run, the config.json of the model it trains and the estimate — or every problem found, each a
 * sentence saying what to change. Allocates nothing.
 */
export function validateTrainRun(input: unknown, context: TrainRunContext): TrainRunValidation {
  const p = new Problems();
  if (!isObject(input))
    return { ok: false, errors: [`A training run must be an object of settings; got ${describe(input)}.`] };
  const steps = p.number('The number of steps', input.steps, { min: 1, max: LIMITS.steps, integer: true });
  const batch = p.number('The batch size', input.batch, { min: 1, max: LIMITS.batch, integer: true });
  const seqLen = p.number('The sequence length', input.seqLen, { min: 1, max: LIMITS.seqLen, integer: true });
  const seed = p.number('The seed', input.seed, { min: 0, max: 2 ** 32 - 1, integer: true });

  const from = field(input.model, 'from');
  let model: FreshModel | CheckpointModel;
  let checkpointConfig: MixtralConfig | null = null;
  if (from === 'checkpoint') {
    const name = field(input.model, 'checkpoint');
    model = { from: 'checkpoint', checkpoint: typeof name === 'string' ? name : '' };
    if (typeof name !== 'string' || name === '') p.add('Name the checkpoint to start from.');
    else if (context.checkpointConfig === undefined)
      p.add(`The config.json of checkpoint ${name} is needed to check this run.`);
    else {
      try {
        checkpointConfig = parseMixtralConfig(context.checkpointConfig);
      } catch (error) {
        p.add(`Checkpoint ${name} cannot be trained: ${(error as Error).message}`);
      }
    }
  } else if (from === 'fresh') {
    model = readFreshModel(input.model, p);
  } else {
    return { ok: false, errors: [`model.from must be "fresh" or "checkpoint"; got ${describe(from)}.`, ...p.list] };
  }
  const experts = model.from === 'fresh' ? model.experts : (checkpointConfig?.num_local_experts ?? NaN);
  const routing = readRouting(input.routing, p, experts);
  if (model.from === 'fresh') checkVariantRouting(model, routing, p);
  const schedule = readSchedule(input.schedule, p, steps);
  const genres = readGenres(input.data, p);
  const dataOptions = readDataOptions(input.data, p);
  const trainable = readTrainable(input.trainable, p);
  if (dataOptions.maxTokens !== undefined && Number.isInteger(seqLen) && dataOptions.maxTokens < seqLen + 1) {
    p.add(`The training slice (${dataOptions.maxTokens} tokens) must hold one window of ${seqLen + 1} tokens.`);
  }
  if (checkpointConfig && seqLen > checkpointConfig.max_position_embeddings) {
    p.add(
      `The sequence length (${seqLen}) must not exceed the checkpoint's max_position_embeddings (${checkpointConfig.max_position_embeddings}).`,
    );
  }
  if (p.list.length > 0) return { ok: false, errors: p.list };

  let modelConfig: MixtralConfig;
  try {
    modelConfig =
      model.from === 'fresh'
        ? parseMixtralConfig(freshConfig(model, routing, seqLen, context))
        : {
            ...checkpointConfig!,
            router_aux_loss_coef: routing.auxLossCoef,
            router_z_loss_coef: routing.zLossCoef,
          };
  } catch (error) {
    // config.ts words these for config.json (e.g. heads that K/V heads do not divide); the fields are ours.
    return { ok: false, errors: [(error as Error).message] };
  }
  if (context.data) {
    const tokens = genreTokens(context.data, genres);
    if (tokens < seqLen + 1) {
      return {
        ok: false,
        errors: [
          `The chosen genres hold ${tokens} training tokens, fewer than one window of ${seqLen + 1}; add genres or shorten the sequence.`,
        ],
      };
    }
    if (dataOptions.validateOnGenres) {
      const held = validationGenreTokens(context.data, genres);
      if (held < seqLen + 1) {
        return {
          ok: false,
          errors: [
            `The chosen genres hold ${held} validation tokens, fewer than one window of ${seqLen + 1}; validate on the whole split or add genres.`,
          ],
        };
      }
    }
  }
  const memory = trainingMemory(modelConfig, batch, seqLen);
  const budget = context.memoryBudgetBytes ?? DEFAULT_TRAIN_MEMORY_BUDGET;
  if (memory.total > budget) {
    return {
      ok: false,
      errors: [
        `This run would need about ${formatBytes(memory.total)} (weights ${formatBytes(memory.weights)}, gradients ${formatBytes(memory.gradients)}, AdamW state ${formatBytes(memory.optimizer)}, activations ${formatBytes(memory.activations)}), more than the ${formatBytes(budget)} allowed; use a smaller batch, sequence length or model.`,
      ],
    };
  }
  const run: TrainRun = {
    model,
    routing,
    schedule,
    steps,
    batch,
    seqLen,
    seed,
    data: { genres, ...dataOptions },
    ...(trainable ? { trainable } : {}),
  };
  return { ok: true, run, modelConfig, memory };
}
