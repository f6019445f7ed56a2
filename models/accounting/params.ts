/**
 * Parameter accounting from a Hugging Face config.json: how many weights a model has (total), how many one
 * token uses (active), and where they sit. Pure arithmetic on the config; each family's counts follow its
 * transformers modeling file, tensor by tensor, so they match what `model.num_parameters()` reports.
 *
 * "Active" has no single definition, and vendors differ (the lesson says so):
 * - `active` counts every weight a token touches, the input embedding row and the LM head included, and only
 *   K of the N routed experts. This is Mixtral's 12.9B, DeepSeek-V3's 37B, Qwen's 3.3B and OLMoE's 1.3B.
 * - `activeWithoutEmbedding` leaves the input embedding out (a lookup, not a matmul), as OpenAI counts
 *   gpt-oss-120b's 5.1B (model card, Table 1). With tied embeddings the matrix also serves as the LM head,
 *   so it stays in.
 * - DeepSeek-V3's 671B leaves out the Multi-Token Prediction module (README: "685B … includes 671B of the
 *   Main Model weights and 14B of the MTP Module weights"); it is reported under `excluded.mtp`.
 *
 * Mixtral is counted from mixtralTensorSpecs (models/nn/config.ts), the same list the checkpoint loader checks.
 */

import {
  asJsonObject,
  headDim,
  mixtralTensorSpecs,
  parseMixtralConfig,
  readBoolean,
  readInt,
  shapeSize,
  type JsonObject,
} from '../nn/config.ts';

/** Where parameters sit. Every norm weight (pre-attention, pre-MLP, final, QK and MLA latent norms) is in `norms`. */
export interface ParamBreakdown {
  /** Input token embedding. */
  embeddings: number;
  /** Attention projections, their biases, MLA's low-rank projections, gpt-oss's sinks, T5's relative-position bias. */
  attention: number;
  /** Router weights and biases, DeepSeek-V3's selection bias, Qwen's shared-expert gate. */
  router: number;
  /** The N routed experts of every MoE layer. */
  routedExperts: number;
  /** Experts every token goes through (DeepSeek, Qwen1.5-MoE). */
  sharedExperts: number;
  /** The feed-forward block of dense (non-MoE) layers. */
  denseMlp: number;
  norms: number;
  /** Output projection to the vocabulary; 0 when tied to the embedding. */
  lmHead: number;
}

/** Parameter counts of one model. */
export interface ParamReport {
  modelType: string;
  total: number;
  /** Weights one token touches: embedding and LM head included, K of N routed experts. */
  active: number;
  /** `active` without the input embedding (gpt-oss's convention). */
  activeWithoutEmbedding: number;
  breakdown: { total: ParamBreakdown; active: ParamBreakdown };
  /** Weights a checkpoint holds but the published total leaves out, e.g. `{ mtp: … }` for DeepSeek-V3. */
  excluded: Record<string, number>;
  /** Conventions and assumptions behind these numbers, in sentences. */
  notes: string[];
}

/** One attention layer's KV cache: elements per token, and how many past tokens it keeps. */
export interface KvLayer {
  /** Cached elements per token (K and V together, or MLA's latent plus its RoPE key). */
  elementsPerToken: number;
  /** Past tokens kept: null for the whole context, else the sliding window. */
  window: number | null;
  /** A cross-attention layer caches the encoder's output once, not one entry per generated token. */
  cross?: boolean;
  kind: 'mha' | 'gqa' | 'mqa' | 'mla';
}

/** What one family reader extracts from a config. */
interface Analysis {
  total: ParamBreakdown;
  active: ParamBreakdown;
  tied: boolean;
  kvLayers: KvLayer[];
  excluded: Record<string, number>;
  notes: string[];
}

const FILE = 'config.json';

/**
 * The most layers a config may have here. The deepest published decoders have 126 (Llama 3.1 405B) to 128;
 * the counters walk the layers one by one (their kinds differ: dense, sparse, sliding), so this bound is also
 * what keeps a typo like 3,000,000 from freezing the page.
 */
export const MAX_LAYERS = 1024;

/** A layer count, bounded by {@link MAX_LAYERS}. */
function readLayerCount(obj: JsonObject, field: string, min = 1, fallback?: number): number {
  const layers = readInt(obj, field, FILE, min, fallback);
  if (layers > MAX_LAYERS) {
    throw new RangeError(
      `${FILE}: ${field} must be at most ${MAX_LAYERS.toLocaleString('en-US')} (the deepest published models have about 128 layers); got ${layers.toLocaleString('en-US')}.`,
    );
  }
  return layers;
}

function zero(): ParamBreakdown {
  return {
    embeddings: 0,
    attention: 0,
    router: 0,
    routedExperts: 0,
    sharedExperts: 0,
    denseMlp: 0,
    norms: 0,
    lmHead: 0,
  };
}

function newAnalysis(): Analysis {
  return { total: zero(), active: zero(), tied: false, kvLayers: [], excluded: {}, notes: [] };
}

/** Adds `count` weights to a category; `active` defaults to all of them. */
function add(a: Analysis, key: keyof ParamBreakdown, count: number, active = count): void {
  a.total[key] += count;
  a.active[key] += active;
}

function sum(b: ParamBreakdown): number {
  return Object.values(b).reduce((x, y) => x + y, 0);
}

function kvKind(heads: number, kvHeads: number): KvLayer['kind'] {
  if (kvHeads === heads) return 'mha';
  return kvHeads === 1 ? 'mqa' : 'gqa';
}

/** Embedding and (unless tied) LM head, both [vocab, hidden]. */
function addEmbeddings(a: Analysis, vocab: number, hidden: number, tied: boolean): void {
  add(a, 'embeddings', vocab * hidden);
  a.tied = tied;
  if (!tied) add(a, 'lmHead', vocab * hidden);
}

function readTopK(obj: JsonObject, numExperts: number, field = 'num_experts_per_tok'): number {
  const k = readInt(obj, field, FILE);
  if (k > numExperts)
    throw new RangeError(`${FILE}: ${field} (${k}) must not exceed the number of experts (${numExperts}).`);
  return k;
}

function readHeads(obj: JsonObject, hidden: number): { heads: number; kvHeads: number; headDim: number } {
  const heads = readInt(obj, 'num_attention_heads', FILE);
  const kvHeads = readInt(obj, 'num_key_value_heads', FILE, 1, heads);
  if (heads % kvHeads !== 0) {
    throw new RangeError(
      `${FILE}: num_attention_heads (${heads}) must be a multiple of num_key_value_heads (${kvHeads}).`,
    );
  }
  const headDim = readInt(obj, 'head_dim', FILE, 1, Math.floor(hidden / heads));
  return { heads, kvHeads, headDim };
}

/** q, k, v, o projections of grouped-query attention, with optional biases (o's bias follows `oBias`). */
function addGqaAttention(
  a: Analysis,
  hidden: number,
  heads: number,
  kvHeads: number,
  headDim: number,
  qkvBias: boolean,
  oBias: boolean,
): void {
  const q = heads * headDim;
  const kv = kvHeads * headDim;
  add(a, 'attention', hidden * (q + 2 * kv) + q * hidden + (qkvBias ? q + 2 * kv : 0) + (oBias ? hidden : 0));
}

/** Layers with a sliding window where the config asks for one (Mistral: all; Qwen: from max_window_layers). */
function qwenWindow(obj: JsonObject, layer: number): number | null {
  if (!readBoolean(obj, 'use_sliding_window', FILE, false)) return null;
  const window = readInt(obj, 'sliding_window', FILE, 1, 4096);
  return layer >= readInt(obj, 'max_window_layers', FILE, 0, 0) ? window : null;
}

function mistralWindow(obj: JsonObject): number | null {
  return obj.sliding_window === undefined || obj.sliding_window === null ? null : readInt(obj, 'sliding_window', FILE);
}

// ---------------------------------------------------------------------------------------------------------
// Families

/**
 * Mixtral: summed from mixtralTensorSpecs, so this count and the checkpoint format cannot drift apart. The
 * layers and experts repeat, so the specs are listed for one layer with one expert and scaled in closed form
 * (a million experts cost as little to count as eight).
 */
function mixtral(json: unknown): Analysis {
  const config = parseMixtralConfig(json);
  const layers = readLayerCount(config as unknown as JsonObject, 'num_hidden_layers');
  const experts = config.num_local_experts;
  const a = newAnalysis();
  a.tied = config.tie_word_embeddings;
  // Expert choice: an expert takes c·T/N of T tokens, so a token averages c experts (Zhou et al. 2022 §3.1).
  const perToken =
    config.moe_routing === 'expert-choice'
      ? (config.expert_choice_capacity_factor ?? config.num_experts_per_tok)
      : config.num_experts_per_tok;
  const share = perToken / experts;
  const oneOfEach = { ...config, num_hidden_layers: 1, num_local_experts: 1, num_experts_per_tok: 1 };
  for (const { name, shape } of mixtralTensorSpecs(oneOfEach)) {
    const n = shapeSize(shape);
    const perLayer = name.startsWith('model.layers.') ? layers : 1;
    if (name === 'model.embed_tokens.weight') add(a, 'embeddings', n);
    else if (name === 'lm_head.weight') add(a, 'lmHead', n);
    else if (name.endsWith('norm.weight')) add(a, 'norms', n * perLayer);
    else if (name.includes('.self_attn.')) add(a, 'attention', n * perLayer);
    else if (name.endsWith('.block_sparse_moe.gate.weight')) add(a, 'router', n * experts * perLayer);
    else if (name.includes('.block_sparse_moe.experts.')) {
      add(a, 'routedExperts', n * experts * perLayer, n * experts * perLayer * share);
    } else if (name.includes('.block_sparse_moe.shared_experts.')) add(a, 'sharedExperts', n * perLayer);
    else throw new Error(`params: no category for Mixtral tensor ${name}; update models/accounting/params.ts.`);
  }
  const kvHeads = config.num_key_value_heads;
  for (let i = 0; i < layers; i++) {
    a.kvLayers.push({
      elementsPerToken: 2 * kvHeads * headDim(config),
      window: config.sliding_window,
      kind: kvKind(config.num_attention_heads, kvHeads),
    });
  }
  return a;
}

/** Dense Llama-family decoders (Llama, Mistral): the reference point an MoE is compared with. */
function denseDecoder(obj: JsonObject): Analysis {
  const a = newAnalysis();
  const hidden = readInt(obj, 'hidden_size', FILE);
  const inter = readInt(obj, 'intermediate_size', FILE);
  const layers = readLayerCount(obj, 'num_hidden_layers');
  const { heads, kvHeads, headDim } = readHeads(obj, hidden);
  const bias = readBoolean(obj, 'attention_bias', FILE, false);
  const mlpBias = readBoolean(obj, 'mlp_bias', FILE, false);
  addEmbeddings(a, readInt(obj, 'vocab_size', FILE), hidden, readBoolean(obj, 'tie_word_embeddings', FILE, false));
  const window = obj.model_type === 'mistral' ? mistralWindow(obj) : null;
  for (let i = 0; i < layers; i++) {
    addGqaAttention(a, hidden, heads, kvHeads, headDim, bias, bias);
    add(a, 'denseMlp', 3 * hidden * inter + (mlpBias ? 2 * inter + hidden : 0));
    add(a, 'norms', 2 * hidden);
    a.kvLayers.push({ elementsPerToken: 2 * kvHeads * headDim, window, kind: kvKind(heads, kvHeads) });
  }
  add(a, 'norms', hidden);
  return a;
}

/** SwiGLU MLP: gate and up [inter, hidden], down [hidden, inter]. */
const swiglu = (hidden: number, inter: number): number => 3 * hidden * inter;

/**
 * Qwen1.5-MoE (qwen2_moe) and Qwen3-MoE (qwen3_moe). A layer is sparse when it is not in `mlp_only_layers`
 * and (layer + 1) is a multiple of `decoder_sparse_step`; otherwise it has a dense MLP of intermediate_size.
 */
function qwenMoe(obj: JsonObject, qwen3: boolean): Analysis {
  const a = newAnalysis();
  const hidden = readInt(obj, 'hidden_size', FILE);
  const layers = readLayerCount(obj, 'num_hidden_layers');
  const { heads, kvHeads, headDim } = readHeads(obj, hidden);
  const experts = readInt(obj, 'num_experts', FILE);
  const k = readTopK(obj, experts);
  const moeInter = readInt(obj, 'moe_intermediate_size', FILE);
  const inter = readInt(obj, 'intermediate_size', FILE);
  const step = readInt(obj, 'decoder_sparse_step', FILE, 1, 1);
  const mlpOnly = Array.isArray(obj.mlp_only_layers) ? (obj.mlp_only_layers as unknown[]) : [];
  const sharedInter = qwen3 ? 0 : readInt(obj, 'shared_expert_intermediate_size', FILE, 0, 0);
  // Qwen2's attention has q/k/v biases by construction; Qwen3 has none but normalises q and k per head.
  const qkvBias = qwen3 ? readBoolean(obj, 'attention_bias', FILE, false) : true;
  addEmbeddings(a, readInt(obj, 'vocab_size', FILE), hidden, readBoolean(obj, 'tie_word_embeddings', FILE, false));
  for (let i = 0; i < layers; i++) {
    addGqaAttention(a, hidden, heads, kvHeads, headDim, qkvBias, qwen3 && qkvBias);
    add(a, 'norms', 2 * hidden + (qwen3 ? 2 * headDim : 0));
    if (!mlpOnly.includes(i) && (i + 1) % step === 0) {
      add(a, 'router', experts * hidden);
      add(a, 'routedExperts', experts * swiglu(hidden, moeInter), k * swiglu(hidden, moeInter));
      if (sharedInter > 0) {
        add(a, 'sharedExperts', swiglu(hidden, sharedInter));
        add(a, 'router', hidden); // shared_expert_gate: a sigmoid gate on the shared expert's output
      }
    } else {
      add(a, 'denseMlp', swiglu(hidden, inter));
    }
    a.kvLayers.push({
      elementsPerToken: 2 * kvHeads * headDim,
      window: qwenWindow(obj, i),
      kind: kvKind(heads, kvHeads),
    });
  }
  add(a, 'norms', hidden);
  return a;
}

/** OLMoE: every layer sparse, no shared expert, QK-norm over the whole q and k projections. */
function olmoe(obj: JsonObject): Analysis {
  const a = newAnalysis();
  const hidden = readInt(obj, 'hidden_size', FILE);
  const layers = readLayerCount(obj, 'num_hidden_layers');
  const { heads, kvHeads, headDim } = readHeads(obj, hidden);
  const experts = readInt(obj, 'num_experts', FILE);
  const k = readTopK(obj, experts);
  const inter = readInt(obj, 'intermediate_size', FILE);
  const bias = readBoolean(obj, 'attention_bias', FILE, false);
  addEmbeddings(a, readInt(obj, 'vocab_size', FILE), hidden, readBoolean(obj, 'tie_word_embeddings', FILE, false));
  for (let i = 0; i < layers; i++) {
    addGqaAttention(a, hidden, heads, kvHeads, headDim, bias, bias);
    add(a, 'norms', 2 * hidden + heads * headDim + kvHeads * headDim);
    add(a, 'router', experts * hidden);
    add(a, 'routedExperts', experts * swiglu(hidden, inter), k * swiglu(hidden, inter));
    a.kvLayers.push({ elementsPerToken: 2 * kvHeads * headDim, window: null, kind: kvKind(heads, kvHeads) });
  }
  add(a, 'norms', hidden);
  return a;
}

/**
 * DeepSeek-V2/V3: Multi-head Latent Attention, shared plus routed experts, the first `first_k_dense_replace`
 * layers dense. A layer is MoE when layer ≥ first_k_dense_replace and layer % moe_layer_freq == 0.
 */
function deepseek(obj: JsonObject): Analysis {
  const a = newAnalysis();
  const hidden = readInt(obj, 'hidden_size', FILE);
  const vocab = readInt(obj, 'vocab_size', FILE);
  const layers = readLayerCount(obj, 'num_hidden_layers');
  const heads = readInt(obj, 'num_attention_heads', FILE);
  const kvRank = readInt(obj, 'kv_lora_rank', FILE);
  const qRank = obj.q_lora_rank === null || obj.q_lora_rank === undefined ? null : readInt(obj, 'q_lora_rank', FILE);
  const nope = readInt(obj, 'qk_nope_head_dim', FILE);
  const rope = readInt(obj, 'qk_rope_head_dim', FILE);
  const vDim = readInt(obj, 'v_head_dim', FILE);
  const inter = readInt(obj, 'intermediate_size', FILE);
  const moeInter = readInt(obj, 'moe_intermediate_size', FILE);
  const experts = readInt(obj, 'n_routed_experts', FILE);
  const k = readTopK(obj, experts);
  const shared = readInt(obj, 'n_shared_experts', FILE, 0, 0);
  const firstDense = readInt(obj, 'first_k_dense_replace', FILE, 0, 0);
  const freq = readInt(obj, 'moe_layer_freq', FILE, 1, 1);
  const bias = readBoolean(obj, 'attention_bias', FILE, false);
  // Aux-loss-free balancing (V3) adds a per-expert bias used only to choose experts: e_score_correction_bias.
  const selectionBias = obj.topk_method === 'noaux_tc' ? experts : 0;
  const tied = readBoolean(obj, 'tie_word_embeddings', FILE, false);

  /** One decoder layer's weights, added to `into`; used for the main layers and for the MTP module. */
  const decoderLayer = (into: Analysis, moe: boolean): void => {
    const qkDim = nope + rope;
    // MLA: q through a low-rank bottleneck (or directly, V2-Lite); k and v from one shared latent of width
    // kv_lora_rank, plus a decoupled RoPE key shared across heads (DeepSeek-V2 paper, §2.1.2–2.1.3).
    const q = qRank === null ? hidden * heads * qkDim : hidden * qRank + (bias ? qRank : 0) + qRank * heads * qkDim;
    const kvDown = hidden * (kvRank + rope) + (bias ? kvRank + rope : 0);
    const kvUp = kvRank * heads * (nope + vDim);
    add(into, 'attention', q + kvDown + kvUp + heads * vDim * hidden + (bias ? hidden : 0));
    add(into, 'norms', 2 * hidden + kvRank + (qRank ?? 0));
    if (moe) {
      add(into, 'router', experts * hidden + selectionBias);
      add(into, 'routedExperts', experts * swiglu(hidden, moeInter), k * swiglu(hidden, moeInter));
      if (shared > 0) add(into, 'sharedExperts', swiglu(hidden, moeInter * shared));
    } else {
      add(into, 'denseMlp', swiglu(hidden, inter));
    }
  };

  addEmbeddings(a, vocab, hidden, tied);
  for (let i = 0; i < layers; i++) {
    decoderLayer(a, i >= firstDense && i % freq === 0);
    a.kvLayers.push({ elementsPerToken: kvRank + rope, window: null, kind: 'mla' });
  }
  add(a, 'norms', hidden);

  const mtpLayers = readLayerCount(obj, 'num_nextn_predict_layers', 0, 0);
  if (mtpLayers > 0) {
    // As stored in the Hub checkpoint (layer 61 of DeepSeek-V3): two input norms, the [hidden, 2·hidden]
    // projection, one full MoE layer, and its own copies of the embedding, output norm and output head.
    const mtp = newAnalysis();
    for (let i = 0; i < mtpLayers; i++) {
      decoderLayer(mtp, true);
      add(mtp, 'norms', 3 * hidden);
      add(mtp, 'attention', 2 * hidden * hidden);
      add(mtp, 'embeddings', 2 * vocab * hidden);
    }
    a.excluded.mtp = sum(mtp.total);
    a.notes.push(
      `The ${mtpLayers} Multi-Token Prediction module(s) (${a.excluded.mtp} weights) are left out of total and active, as DeepSeek counts its 671B; they train the model and can draft tokens, but plain decoding does not run them.`,
    );
  }
  return a;
}

/**
 * gpt-oss: every layer MoE with biased experts stored fused (gate_up_proj [E, hidden, 2·inter]), biased
 * attention with one learned "sink" logit per head, and alternating sliding-window and full attention.
 */
function gptOss(obj: JsonObject): Analysis {
  const a = newAnalysis();
  const hidden = readInt(obj, 'hidden_size', FILE);
  const layers = readLayerCount(obj, 'num_hidden_layers');
  const { heads, kvHeads, headDim } = readHeads(obj, hidden);
  const experts = readInt(obj, 'num_local_experts', FILE);
  const k =
    obj.num_experts_per_tok === undefined ? readTopK(obj, experts, 'experts_per_token') : readTopK(obj, experts);
  const inter = readInt(obj, 'intermediate_size', FILE);
  const bias = readBoolean(obj, 'attention_bias', FILE, true);
  const window = readInt(obj, 'sliding_window', FILE, 1, 128);
  const layerTypes = Array.isArray(obj.layer_types) ? (obj.layer_types as unknown[]) : undefined;
  if (layerTypes && layerTypes.length !== layers) {
    throw new RangeError(`${FILE}: layer_types has ${layerTypes.length} entries but num_hidden_layers is ${layers}.`);
  }
  addEmbeddings(a, readInt(obj, 'vocab_size', FILE), hidden, readBoolean(obj, 'tie_word_embeddings', FILE, false));
  const perExpert = hidden * 2 * inter + 2 * inter + inter * hidden + hidden; // weights and biases
  for (let i = 0; i < layers; i++) {
    addGqaAttention(a, hidden, heads, kvHeads, headDim, bias, bias);
    add(a, 'attention', heads); // sinks
    add(a, 'norms', 2 * hidden);
    add(a, 'router', experts * hidden + experts);
    add(a, 'routedExperts', experts * perExpert, k * perExpert);
    // transformers' default when layer_types is absent: even layers sliding, odd layers full.
    const sliding = layerTypes ? layerTypes[i] === 'sliding_attention' : i % 2 === 0;
    a.kvLayers.push({
      elementsPerToken: 2 * kvHeads * headDim,
      window: sliding ? window : null,
      kind: kvKind(heads, kvHeads),
    });
  }
  add(a, 'norms', hidden);
  return a;
}

/**
 * Switch Transformer: a T5 encoder-decoder whose feed-forward block is a top-1 MoE in every
 * `encoder_sparse_step`-th / `decoder_sparse_step`-th layer (layers 1, 3, 5, … for a step of 2).
 */
function switchTransformer(obj: JsonObject): Analysis {
  const a = newAnalysis();
  const d = readInt(obj, 'd_model', FILE);
  const dkv = readInt(obj, 'd_kv', FILE);
  const heads = readInt(obj, 'num_heads', FILE);
  const dff = readInt(obj, 'd_ff', FILE);
  const encLayers = readLayerCount(obj, 'num_layers');
  const decLayers = readLayerCount(obj, 'num_decoder_layers', 1, encLayers);
  const experts = readInt(obj, 'num_experts', FILE);
  const buckets = readInt(obj, 'relative_attention_num_buckets', FILE, 1, 32);
  const routerBias = readBoolean(obj, 'router_bias', FILE, false);
  const gated = typeof obj.dense_act_fn === 'string' && obj.dense_act_fn.startsWith('gated');
  const ffn = (gated ? 3 : 2) * d * dff; // wi (or wi_0 and wi_1) and wo, no biases
  const attention = 4 * d * heads * dkv;
  const step = (field: string, sparseField: string, layers: number): number => {
    if (obj[field] !== undefined) return readInt(obj, field, FILE, 0);
    const sparse = readInt(obj, sparseField, FILE, 0, 3);
    return sparse > 0 ? Math.floor(layers / sparse) : 0;
  };
  const isSparse = (i: number, s: number): boolean => s > 0 && (s === 1 || i % s === 1);
  addEmbeddings(a, readInt(obj, 'vocab_size', FILE), d, readBoolean(obj, 'tie_word_embeddings', FILE, true));
  const feedForward = (sparse: boolean): void => {
    if (sparse) {
      add(a, 'router', experts * d + (routerBias ? experts : 0));
      add(a, 'routedExperts', experts * ffn, ffn); // top-1
    } else {
      add(a, 'denseMlp', ffn);
    }
  };
  const encStep = step('encoder_sparse_step', 'num_sparse_encoder_layers', encLayers);
  for (let i = 0; i < encLayers; i++) {
    add(a, 'attention', attention + (i === 0 ? buckets * heads : 0)); // relative position bias lives in layer 0
    add(a, 'norms', 2 * d);
    feedForward(isSparse(i, encStep));
  }
  add(a, 'norms', d);
  const decStep = step('decoder_sparse_step', 'num_sparse_decoder_layers', decLayers);
  for (let i = 0; i < decLayers; i++) {
    add(a, 'attention', 2 * attention + (i === 0 ? buckets * heads : 0)); // self- and cross-attention
    add(a, 'norms', 3 * d);
    feedForward(isSparse(i, decStep));
    a.kvLayers.push({ elementsPerToken: 2 * heads * dkv, window: null, kind: 'mha' });
    a.kvLayers.push({ elementsPerToken: 2 * heads * dkv, window: null, cross: true, kind: 'mha' });
  }
  add(a, 'norms', d);
  a.notes.push(
    'Encoder-decoder: total and active count both stacks; a token uses 1 of the experts in each sparse layer of the stack it passes through.',
  );
  return a;
}

/** DBRX: settings nested in attn_config and ffn_config; fused Wqkv; bias-free LayerNorms; 16 experts, top-4. */
function dbrx(obj: JsonObject): Analysis {
  const a = newAnalysis();
  const d = readInt(obj, 'd_model', FILE);
  const heads = readInt(obj, 'n_heads', FILE);
  const layers = readLayerCount(obj, 'n_layers');
  const attn = asJsonObject(obj.attn_config ?? {}, `${FILE}: attn_config`);
  const ffn = asJsonObject(obj.ffn_config ?? {}, `${FILE}: ffn_config`);
  const kvHeads = readInt(attn, 'kv_n_heads', `${FILE}: attn_config`, 1, 1);
  const inter = readInt(ffn, 'ffn_hidden_size', `${FILE}: ffn_config`, 1, 3584);
  const experts = readInt(ffn, 'moe_num_experts', `${FILE}: ffn_config`, 1, 4);
  const k = readInt(ffn, 'moe_top_k', `${FILE}: ffn_config`, 1, 1);
  if (k > experts)
    throw new RangeError(
      `${FILE}: ffn_config.moe_top_k (${k}) must not exceed ffn_config.moe_num_experts (${experts}).`,
    );
  if (d % heads !== 0) throw new RangeError(`${FILE}: d_model (${d}) must be divisible by n_heads (${heads}).`);
  const headDim = d / heads;
  addEmbeddings(a, readInt(obj, 'vocab_size', FILE), d, readBoolean(obj, 'tie_word_embeddings', FILE, false));
  for (let i = 0; i < layers; i++) {
    add(a, 'attention', d * (d + 2 * kvHeads * headDim) + d * d);
    add(a, 'norms', 2 * d);
    add(a, 'router', experts * d);
    add(a, 'routedExperts', experts * swiglu(d, inter), k * swiglu(d, inter));
    a.kvLayers.push({ elementsPerToken: 2 * kvHeads * headDim, window: null, kind: kvKind(heads, kvHeads) });
  }
  add(a, 'norms', d);
  return a;
}

const FAMILIES: Readonly<Record<string, (obj: JsonObject) => Analysis>> = {
  mixtral,
  mistral: denseDecoder,
  llama: denseDecoder,
  qwen2_moe: (obj) => qwenMoe(obj, false),
  qwen3_moe: (obj) => qwenMoe(obj, true),
  olmoe,
  deepseek_v2: deepseek,
  deepseek_v3: deepseek,
  gpt_oss: gptOss,
  switch_transformers: switchTransformer,
  dbrx,
};

/** The model_type values {@link countParameters} understands. */
export const SUPPORTED_MODEL_TYPES: readonly string[] = Object.keys(FAMILIES);

function analyze(json: unknown): { modelType: string; analysis: Analysis } {
  const obj = asJsonObject(json);
  const modelType = obj.model_type;
  if (typeof modelType !== 'string') {
    throw new TypeError(
      `${FILE}: model_type is missing; it names the architecture (one of ${SUPPORTED_MODEL_TYPES.join(', ')}).`,
    );
  }
  const family = FAMILIES[modelType];
  if (!family) {
    throw new TypeError(
      `${FILE}: model_type "${modelType}" is not supported; supported are ${SUPPORTED_MODEL_TYPES.join(', ')}.`,
    );
  }
  return { modelType, analysis: family(obj) };
}

/**
 * Counts the parameters of the model a Hugging Face config.json describes: total, active per token (two
 * conventions), and a breakdown by component. Throws a sentence naming the missing or invalid field, or
 * the unsupported model_type.
 */
export function countParameters(config: unknown): ParamReport {
  const { modelType, analysis: a } = analyze(config);
  const total = sum(a.total);
  const active = sum(a.active);
  return {
    modelType,
    total,
    active,
    activeWithoutEmbedding: a.tied ? active : active - a.active.embeddings,
    breakdown: { total: a.total, active: a.active },
    excluded: a.excluded,
    notes: a.notes,
  };
}

/** The attention layers' KV-cache shape for the model a config.json describes (see models/accounting/memory.ts). */
export function kvCacheLayers(config: unknown): KvLayer[] {
  return analyze(config).analysis.kvLayers;
}
