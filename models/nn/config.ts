/**
 * The Mixtral config.json, with Hugging Face's field names, and the tensor names and shapes it implies.
 *
 * A checkpoint this course writes must load in `transformers` (`MixtralForCausalLM.from_pretrained`) and a
 * checkpoint exported from PyTorch must load here, so the field names, defaults and tensor names below
 * follow transformers' `configuration_mixtral.py` and `modeling_mixtral.py` exactly. Recent transformers
 * releases fuse the experts in memory (`mlp.experts.gate_up_proj`) but still read and write the per-expert
 * `block_sparse_moe.experts.{j}.w1/w2/w3` names that every Mixtral checkpoint on the Hub uses.
 */

/** The dtypes transformers writes into `torch_dtype`. */
export type TorchDtype = 'float32' | 'float16' | 'bfloat16';

/** Mixtral's config.json, field for field (Hugging Face `MixtralConfig`). */
export interface MixtralConfig {
  model_type: 'mixtral';
  architectures: string[];
  /** V: rows of the embedding and of the LM head. */
  vocab_size: number;
  /** d: the residual stream width. */
  hidden_size: number;
  /** h: the hidden width of one SwiGLU expert. */
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** Grouped-query attention: K and V have this many heads, each shared by heads / kv_heads query heads. */
  num_key_value_heads: number;
  /** Width of one attention head; transformers uses hidden_size / num_attention_heads when absent. */
  head_dim?: number;
  /** N: experts per layer. */
  num_local_experts: number;
  /** K: experts each token is routed to. */
  num_experts_per_tok: number;
  max_position_embeddings: number;
  rope_theta: number;
  rms_norm_eps: number;
  tie_word_embeddings: boolean;
  /** Weight of the load-balancing loss (Switch Transformer eq. 4) in the training loss. */
  router_aux_loss_coef: number;
  /**
   * Weight of the router z-loss (Zoph et al. 2022, ST-MoE eq. 5). MoE Lab's own field: transformers'
   * Mixtral has no z-loss, keeps unknown keys when it loads a config and ignores them, so a checkpoint
   * carrying this still loads there.
   */
  router_z_loss_coef?: number;
  /**
   * Renormalise the K chosen gate weights to sum to 1 (default true, which is what Mixtral does). MoE Lab's
   * own field, under Qwen-MoE's name, so the Switch-style top-1 experiments can turn it off; transformers'
   * Mixtral ignores it and always renormalises.
   */
  norm_topk_prob?: boolean;
  /**
   * S shared experts every token uses besides its K routed ones (DeepSeekMoE §3.2), under DeepSeek-V2/V3's
   * name; stored merged as `block_sparse_moe.shared_experts.{gate,up,down}_proj` of width S·intermediate_size,
   * as DeepSeek stores `mlp.shared_experts`. Absent or 0: none (Mixtral).
   */
  n_shared_experts?: number;
  /** The router's scores: 'softmax' (Mixtral) or 'sigmoid' (DeepSeek-V3 §2.1.2), under DeepSeek-V3's name. */
  scoring_func?: ScoringFunc;
  /**
   * MoE Lab's own field (no Hugging Face model has these): 'token-choice' (default; every token picks its
   * experts), 'expert-choice' (Zhou et al. 2022) or 'soft-moe' (Puigcerver et al. 2023).
   */
  moe_routing?: MoeRouting;
  /** 'expert-choice': average experts per token, c·N/T (MoE Lab's field; default num_experts_per_tok). */
  expert_choice_capacity_factor?: number;
  /** 'soft-moe': slots p per expert; `gate.weight` then holds Φ with N·p rows (MoE Lab's field; default 1). */
  num_slots_per_expert?: number;
  router_jitter_noise: number;
  hidden_act: 'silu';
  torch_dtype: TorchDtype;
  bos_token_id: number | null;
  eos_token_id: number | number[] | null;
  pad_token_id: number | null;
  /** Mixtral attends to the whole context; Mistral 7B had a 4096-token window. */
  sliding_window: number | null;
  attention_dropout: number;
  initializer_range: number;
  output_router_logits: boolean;
  use_cache: boolean;
}

export type ScoringFunc = 'softmax' | 'sigmoid';
export type MoeRouting = 'token-choice' | 'expert-choice' | 'soft-moe';
const SCORING_FUNCS: readonly ScoringFunc[] = ['softmax', 'sigmoid'];
const MOE_ROUTINGS: readonly MoeRouting[] = ['token-choice', 'expert-choice', 'soft-moe'];

/** One parameter tensor of the Hugging Face layout: its state-dict name and its shape. */
export interface TensorSpec {
  name: string;
  shape: number[];
}

/** A plain JSON object, as read from config.json. */
export type JsonObject = Record<string, unknown>;

/** Throws unless `json` is a JSON object; `file` names the source in the message. */
export function asJsonObject(json: unknown, file = 'config.json'): JsonObject {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TypeError(`${file} must hold a JSON object ({ ... }); got ${describe(json)}.`);
  }
  return json as JsonObject;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/**
 * A whole number ≥ `min` from `obj[field]`; `fallback` when the field is absent (or null) and a fallback
 * is given. Every message names the file and the field, because a config.json is edited by hand.
 */
export function readInt(obj: JsonObject, field: string, file: string, min = 1, fallback?: number): number {
  const value = obj[field];
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw new TypeError(`${file}: ${field} is missing; it must be a whole number ≥ ${min}.`);
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(`${file}: ${field} must be a whole number ≥ ${min}; got ${describe(value)}.`);
  }
  return value;
}

/** A finite number from `obj[field]`, or `fallback` when absent. */
export function readNumber(obj: JsonObject, field: string, file: string, fallback?: number): number {
  const value = obj[field];
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw new TypeError(`${file}: ${field} is missing; it must be a number.`);
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${file}: ${field} must be a finite number; got ${describe(value)}.`);
  }
  return value;
}

/** A boolean from `obj[field]`, or `fallback` when absent. */
export function readBoolean(obj: JsonObject, field: string, file: string, fallback: boolean): boolean {
  const value = obj[field];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') {
    throw new TypeError(`${file}: ${field} must be true or false; got ${describe(value)}.`);
  }
  return value;
}

function readTokenId(obj: JsonObject, field: string, fallback: number | null): number | null {
  const value = obj[field];
  if (value === undefined) return fallback;
  if (value === null) return null;
  return readInt(obj, field, 'config.json', 0);
}

function readEosTokenId(obj: JsonObject): number | number[] | null {
  const value = obj.eos_token_id;
  if (!Array.isArray(value)) return readTokenId(obj, 'eos_token_id', 2);
  // Instruct checkpoints list several end-of-turn tokens.
  return value.map((id, i) => readInt({ id }, 'id', `config.json: eos_token_id[${i}]`, 0));
}

/** RoPE base: `rope_theta`, or `rope_parameters.rope_theta` as transformers 5 writes it. */
function readRopeTheta(obj: JsonObject): number {
  const nested = obj.rope_parameters;
  if (obj.rope_theta === undefined && typeof nested === 'object' && nested !== null && !Array.isArray(nested)) {
    return readNumber(nested as JsonObject, 'rope_theta', 'config.json: rope_parameters', 1e6);
  }
  return readNumber(obj, 'rope_theta', 'config.json', 1e6);
}

const TORCH_DTYPES: readonly TorchDtype[] = ['float32', 'float16', 'bfloat16'];

/**
 * Reads and validates a Mixtral config.json. Absent optional fields take transformers' defaults; the size
 * fields (vocab_size, hidden_size, intermediate_size, num_hidden_layers, num_attention_heads,
 * num_key_value_heads, num_local_experts, num_experts_per_tok) are required, because a default there
 * (transformers' is Mixtral 8x7B's) would silently build the wrong model. Throws a sentence naming the
 * field, e.g. "config.json: num_experts_per_tok (3) must not exceed num_local_experts (2)."
 */
export function parseMixtralConfig(json: unknown): MixtralConfig {
  const obj = asJsonObject(json);
  const file = 'config.json';
  if (obj.model_type !== 'mixtral') {
    throw new TypeError(`${file}: model_type must be "mixtral"; got ${describe(obj.model_type)}.`);
  }
  const architectures = obj.architectures ?? ['MixtralForCausalLM'];
  if (!Array.isArray(architectures) || !architectures.every((a) => typeof a === 'string')) {
    throw new TypeError(`${file}: architectures must be a list of class names such as ["MixtralForCausalLM"].`);
  }
  const torchDtype = obj.torch_dtype ?? obj.dtype ?? 'bfloat16';
  if (!TORCH_DTYPES.includes(torchDtype as TorchDtype)) {
    throw new TypeError(`${file}: torch_dtype must be one of ${TORCH_DTYPES.join(', ')}; got ${describe(torchDtype)}.`);
  }
  const hiddenAct = obj.hidden_act ?? 'silu';
  if (hiddenAct !== 'silu') {
    throw new TypeError(
      `${file}: hidden_act must be "silu" (Mixtral's experts are SwiGLU); got ${describe(hiddenAct)}.`,
    );
  }
  const slidingWindow =
    obj.sliding_window === undefined || obj.sliding_window === null ? null : readInt(obj, 'sliding_window', file);
  const config: MixtralConfig = {
    model_type: 'mixtral',
    architectures: architectures as string[],
    vocab_size: readInt(obj, 'vocab_size', file),
    hidden_size: readInt(obj, 'hidden_size', file),
    intermediate_size: readInt(obj, 'intermediate_size', file),
    num_hidden_layers: readInt(obj, 'num_hidden_layers', file),
    num_attention_heads: readInt(obj, 'num_attention_heads', file),
    num_key_value_heads: readInt(obj, 'num_key_value_heads', file),
    num_local_experts: readInt(obj, 'num_local_experts', file),
    num_experts_per_tok: readInt(obj, 'num_experts_per_tok', file),
    max_position_embeddings: readInt(obj, 'max_position_embeddings', file, 1, 4096 * 32),
    rope_theta: readRopeTheta(obj),
    rms_norm_eps: readNumber(obj, 'rms_norm_eps', file, 1e-5),
    tie_word_embeddings: readBoolean(obj, 'tie_word_embeddings', file, false),
    router_aux_loss_coef: readNumber(obj, 'router_aux_loss_coef', file, 0.001),
    router_jitter_noise: readNumber(obj, 'router_jitter_noise', file, 0),
    hidden_act: 'silu',
    torch_dtype: torchDtype as TorchDtype,
    bos_token_id: readTokenId(obj, 'bos_token_id', 1),
    eos_token_id: readEosTokenId(obj),
    pad_token_id: readTokenId(obj, 'pad_token_id', null),
    sliding_window: slidingWindow,
    attention_dropout: readNumber(obj, 'attention_dropout', file, 0),
    initializer_range: readNumber(obj, 'initializer_range', file, 0.02),
    output_router_logits: readBoolean(obj, 'output_router_logits', file, false),
    use_cache: readBoolean(obj, 'use_cache', file, true),
  };
  if (obj.head_dim !== undefined && obj.head_dim !== null) config.head_dim = readInt(obj, 'head_dim', file);
  if (obj.router_z_loss_coef !== undefined) config.router_z_loss_coef = readNumber(obj, 'router_z_loss_coef', file);
  if (obj.norm_topk_prob !== undefined) config.norm_topk_prob = readBoolean(obj, 'norm_topk_prob', file, true);
  readVariantFields(obj, config);
  checkMixtralConsistency(config);
  return config;
}

/** The optional post-Mixtral fields; each is kept only when present, so a Mixtral config round-trips as it was. */
function readVariantFields(obj: JsonObject, config: MixtralConfig): void {
  const file = 'config.json';
  if (obj.n_shared_experts !== undefined && obj.n_shared_experts !== null) {
    config.n_shared_experts = readInt(obj, 'n_shared_experts', file, 0);
  }
  const oneOf = <T extends string>(field: string, allowed: readonly T[]): T | undefined => {
    const value = obj[field];
    if (value === undefined || value === null) return undefined;
    if (!allowed.includes(value as T)) {
      throw new TypeError(`${file}: ${field} must be one of ${allowed.join(', ')}; got ${describe(value)}.`);
    }
    return value as T;
  };
  const scoring = oneOf('scoring_func', SCORING_FUNCS);
  if (scoring !== undefined) config.scoring_func = scoring;
  const routing = oneOf('moe_routing', MOE_ROUTINGS);
  if (routing !== undefined) config.moe_routing = routing;
  if (obj.expert_choice_capacity_factor !== undefined) {
    const factor = readNumber(obj, 'expert_choice_capacity_factor', file);
    if (!(factor > 0)) {
      throw new RangeError(`${file}: expert_choice_capacity_factor must be above 0; got ${factor}.`);
    }
    config.expert_choice_capacity_factor = factor;
  }
  if (obj.num_slots_per_expert !== undefined) {
    config.num_slots_per_expert = readInt(obj, 'num_slots_per_expert', file);
  }
  if (scoring === 'sigmoid' && routing !== undefined && routing !== 'token-choice') {
    throw new RangeError(
      `${file}: scoring_func "sigmoid" is a token-choice gate; it cannot go with moe_routing "${routing}".`,
    );
  }
}

function checkMixtralConsistency(c: MixtralConfig): void {
  const file = 'config.json';
  if (c.num_experts_per_tok > c.num_local_experts) {
    throw new RangeError(
      `${file}: num_experts_per_tok (${c.num_experts_per_tok}) must not exceed num_local_experts (${c.num_local_experts}).`,
    );
  }
  if (c.num_attention_heads % c.num_key_value_heads !== 0) {
    throw new RangeError(
      `${file}: num_attention_heads (${c.num_attention_heads}) must be a multiple of num_key_value_heads (${c.num_key_value_heads}), so that each K/V head serves the same number of query heads.`,
    );
  }
  if (c.head_dim === undefined && c.hidden_size % c.num_attention_heads !== 0) {
    throw new RangeError(
      `${file}: hidden_size (${c.hidden_size}) must be divisible by num_attention_heads (${c.num_attention_heads}) when head_dim is not given.`,
    );
  }
  if (c.head_dim !== undefined && c.head_dim % 2 !== 0) {
    throw new RangeError(`${file}: head_dim (${c.head_dim}) must be even, because RoPE rotates pairs of dimensions.`);
  }
  if (c.head_dim === undefined && (c.hidden_size / c.num_attention_heads) % 2 !== 0) {
    throw new RangeError(
      `${file}: hidden_size / num_attention_heads (${c.hidden_size / c.num_attention_heads}) must be even, because RoPE rotates pairs of dimensions.`,
    );
  }
}

/** The width of one attention head: `head_dim`, else hidden_size / num_attention_heads (as transformers does). */
export function headDim(config: MixtralConfig): number {
  return config.head_dim ?? config.hidden_size / config.num_attention_heads;
}

/**
 * Every parameter tensor of `MixtralForCausalLM`, in the Hugging Face state-dict names and shapes (nn.Linear
 * stores [out, in]). This is the one list the trainer initialises, the engine loads, the checkpoint loader
 * checks and the parameter counter sums. No biases anywhere: Mixtral's linears are `bias=False`.
 */
export function mixtralTensorSpecs(config: MixtralConfig): TensorSpec[] {
  const d = config.hidden_size;
  const h = config.intermediate_size;
  const qWidth = config.num_attention_heads * headDim(config);
  const kvWidth = config.num_key_value_heads * headDim(config);
  const specs: TensorSpec[] = [{ name: 'model.embed_tokens.weight', shape: [config.vocab_size, d] }];
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const layer = `model.layers.${i}`;
    specs.push(
      { name: `${layer}.input_layernorm.weight`, shape: [d] },
      { name: `${layer}.self_attn.q_proj.weight`, shape: [qWidth, d] },
      { name: `${layer}.self_attn.k_proj.weight`, shape: [kvWidth, d] },
      { name: `${layer}.self_attn.v_proj.weight`, shape: [kvWidth, d] },
      { name: `${layer}.self_attn.o_proj.weight`, shape: [d, qWidth] },
      { name: `${layer}.post_attention_layernorm.weight`, shape: [d] },
      { name: `${layer}.block_sparse_moe.gate.weight`, shape: [routerRows(config), d] },
    );
    for (let j = 0; j < config.num_local_experts; j++) {
      const expert = `${layer}.block_sparse_moe.experts.${j}`;
      specs.push(
        { name: `${expert}.w1.weight`, shape: [h, d] }, // gate projection
        { name: `${expert}.w2.weight`, shape: [d, h] }, // down projection
        { name: `${expert}.w3.weight`, shape: [h, d] }, // up projection
      );
    }
    const shared = (config.n_shared_experts ?? 0) * h;
    if (shared > 0) {
      const sharedMlp = `${layer}.block_sparse_moe.shared_experts`;
      specs.push(
        { name: `${sharedMlp}.gate_proj.weight`, shape: [shared, d] }, // w1 of the merged shared experts
        { name: `${sharedMlp}.up_proj.weight`, shape: [shared, d] }, // w3
        { name: `${sharedMlp}.down_proj.weight`, shape: [d, shared] }, // w2
      );
    }
  }
  specs.push({ name: 'model.norm.weight', shape: [d] });
  if (!config.tie_word_embeddings) specs.push({ name: 'lm_head.weight', shape: [config.vocab_size, d] });
  return specs;
}

/** Rows of a layer's `gate.weight`: one per expert, or for Soft MoE one per slot (N·p, Φ of soft-moe.ts). */
export function routerRows(config: MixtralConfig): number {
  return config.moe_routing === 'soft-moe'
    ? config.num_local_experts * (config.num_slots_per_expert ?? 1)
    : config.num_local_experts;
}

/** Number of elements in a tensor of this shape (1 for a scalar). */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
