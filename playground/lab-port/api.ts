// What a notebook cell can call: `lab`, the model handles it gives, training runs, and the pure helpers.
// This file is the one source of those declarations. The guest implements them (connect.ts, checked by the
// compiler), the helpers are checked against them (helpers.ts), and this very text is what the playground's
// editor completes and explains (API_SOURCE in index.ts). So it imports nothing: the editor reads it alone.
// The names and shapes are models/lab.ts's (the `Lab` facade the lessons and the README use); what differs
// is that a model lives in the page's engine, so every call that computes is async.

/** A token of the input or the output: its id and its text (a piece of a word, with its leading space). */
export interface LabToken {
  id: number;
  text: string;
}

/** One layer's routing of a whole text (row-major typed arrays). */
export interface LayerRouting {
  /** Chosen experts, best first: [tokens, k]. */
  expertIndex: Int32Array;
  /** Their gate weights (the chosen router probabilities renormalised to sum to 1): [tokens, k]. */
  gateWeights: Float32Array;
  /** Tokens each expert computed: [numExperts]. */
  expertTokens: Int32Array;
  /** Mean router probability per expert over the tokens: [numExperts]. */
  expertMeanProb: Float32Array;
  /** Router probabilities over all experts, per token: [tokens, numExperts]. */
  probs: Float32Array;
}

/** What `route` found: each token's experts in every layer. */
export interface Routed {
  /** The tokens read, `<|endoftext|>` first (every training document starts with it). */
  tokens: LabToken[];
  topK: number;
  numExperts: number;
  /** Per layer. */
  layers: LayerRouting[];
  /** Milliseconds of the forward pass over the whole text, including the device read. */
  ms: number;
}

export interface LabGenerateOptions {
  /** New tokens at most; fewer when <|endoftext|> comes first or the context fills up (default 40). */
  maxNewTokens?: number;
  /** 0 is greedy (default 0.8). */
  temperature?: number;
  /** Nucleus mass (default 0.95). */
  topP?: number;
  /** Sampling seed (default 0): the same seed, prompt and K give the same text. */
  seed?: number;
  /** Experts per token at inference (default: the K it was trained with). */
  k?: number;
}

/** One generated token, with the text so far and the routing of the step that produced it. */
export interface GeneratedStep extends LabToken {
  /** Everything generated so far, decoded at once (one character may span two tokens). */
  continuation: string;
  /** Per layer, for the step's input: the prompt (first token) or the previous token. */
  routing: LayerRouting[];
  /** Milliseconds of this step (the first includes the prompt's prefill). */
  ms: number;
}

export interface HeldOutLoss {
  k: number;
  /** Mean next-token cross-entropy, nats per token. */
  loss: number;
  perplexity: number;
  /** Tokens scored. */
  tokens: number;
}

export interface DecodeSpeed {
  /** Milliseconds of the prompt's forward pass. */
  prefillMs: number;
  /** Mean milliseconds of one single-token pass with the KV cache (greedy, no routing read back). */
  msPerToken: number;
  /** Passes timed. */
  tokens: number;
}

export interface LabMemory {
  /** tf.memory() in the engine: tensors alive and their bytes, this model's and any other. */
  numTensors: number;
  numBytes: number;
  /** Bytes of this model's weights (float32). */
  weightBytes: number;
  /** Bytes the KV cache held at the end of the last generation (it is freed afterwards). */
  kvCacheBytes: number;
}

/** A Hugging Face `config.json` (Mixtral's fields; any other keys are kept). */
export type ModelConfig = Readonly<Record<string, unknown>> & {
  readonly model_type: string;
  readonly vocab_size: number;
  readonly hidden_size: number;
  readonly intermediate_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly num_key_value_heads: number;
  /** N: experts per layer. */
  readonly num_local_experts: number;
  /** K: experts per token. */
  readonly num_experts_per_tok: number;
  readonly max_position_embeddings: number;
};

/** Where parameters sit. */
export interface ParamBreakdown {
  embeddings: number;
  attention: number;
  router: number;
  routedExperts: number;
  sharedExperts: number;
  denseMlp: number;
  norms: number;
  lmHead: number;
}

/** Parameter counts of one model (models/accounting/params.ts). */
export interface ParamReport {
  modelType: string;
  total: number;
  /** Weights one token touches: embedding and LM head included, K of N routed experts. */
  active: number;
  /** `active` without the input embedding (gpt-oss's convention). */
  activeWithoutEmbedding: number;
  breakdown: { total: ParamBreakdown; active: ParamBreakdown };
  /** Weights a checkpoint holds but the published total leaves out. */
  excluded: Record<string, number>;
  /** Conventions and assumptions behind these numbers, in sentences. */
  notes: string[];
}

/** Forward FLOPs of one token (Kaplan et al. 2020, §2.1 and Table 1). */
export interface TokenFlops {
  /** 2 × the parameters the token multiplies by (embedding lookup left out; only K experts per layer). */
  weights: number;
  /** 2 × layers × context × attention width. */
  attention: number;
  total: number;
}

/** A shipped checkpoint a notebook can load. */
export interface CheckpointInfo {
  /** What `lab.load` takes: "dense", "e4-top2", "e8-top2", "e16-top2", "e8-top1". */
  id: string;
  /** "8 experts, top-2" */
  label: string;
  numExperts: number;
  trainedTopK: number;
  /** Bytes of all its files. */
  downloadBytes: number;
}

/**
 * A model held by the page's engine: a shipped checkpoint (`lab.load`) or one trained here
 * (`training.models()`). The same verbs as models/lab.ts's `Lab`.
 */
export interface LabModel {
  /** The checkpoint's id, or the training run's name. */
  readonly name: string;
  readonly config: ModelConfig;
  /** What loading verified (checksums, shapes), in sentences. */
  readonly notes: readonly string[];
  /**
   * Which experts each token goes to, layer by layer. At most 1,023 tokens; longer than the context is read
   * in overlapping windows.
   * @example
   * const { tokens, layers } = await model.route('The jury said', { k: 2 });
   */
  route(text: string, options?: { k?: number }): Promise<Routed>;
  /**
   * Continues `prompt` token by token (KV cache), with each step's routing; `break` stops it.
   * @example
   * for await (const step of model.generate('The jury said', { maxNewTokens: 20, seed: 2 })) console.log(step.text);
   */
  generate(prompt: string, options?: LabGenerateOptions): AsyncGenerator<GeneratedStep, void>;
  /**
   * Mean next-token loss of `text` (its first context) at each K.
   * @example
   * const points = await model.heldOutLoss(passage, [1, 2, 4, 8]);
   */
  heldOutLoss(text: string, ks: readonly number[]): Promise<HeldOutLoss[]>;
  /**
   * The bare decoding speed: a prefill of `prompt`, then `tokens` single-token passes with the KV cache.
   * @example
   * const { msPerToken } = await model.decodeSpeed('The jury said', { tokens: 16, k: 2 });
   */
  decodeSpeed(prompt: string, options: { tokens: number; k?: number }): Promise<DecodeSpeed>;
  /**
   * Parameters held and used per token at K (default the trained K), by component. Computed here, from the config.
   * @example
   * const { total, active } = model.parameters(1);
   */
  parameters(k?: number): ParamReport;
  /**
   * Forward FLOPs one token costs at K experts, with `context` tokens to attend to (default the whole context).
   * @example
   * model.flopsPerToken(2, 64).total;
   */
  flopsPerToken(k?: number, context?: number): TokenFlops;
  /**
   * Bytes of this model's KV cache holding `tokens` positions (float32, as tfjs keeps it).
   * @example
   * model.kvCacheBytes(64);
   */
  kvCacheBytes(tokens: number): number;
  /**
   * Tensors alive in the engine, this model's weight bytes, and the last generation's KV-cache bytes.
   * @example
   * (await model.memory()).weightBytes;
   */
  memory(): Promise<LabMemory>;
  /**
   * The model as Hugging Face checkpoint files (config.json, model.safetensors, tokenizer.json, manifest.json), float32.
   * @example
   * const files = await model.save(); // Map name → bytes
   */
  save(): Promise<Map<string, Uint8Array>>;
  /**
   * The same files as one zip (what lesson 3's "Export" downloads; Python's zipfile and `npm run moe` read it).
   * @example
   * display(download('my-moe.zip', await model.exportZip()));
   */
  exportZip(): Promise<Uint8Array>;
  /**
   * Frees the weights in the engine; the handle cannot be used afterwards. (The session frees every model when the run ends.)
   * @example
   * await model.dispose();
   */
  dispose(): Promise<void>;
}

/** A fresh model's shape (N, K and sizes); what is left out is the shipped e8-top2 recipe's. */
export interface FreshModelInput {
  from?: 'fresh';
  /** N: experts per layer (1 = a dense model). */
  experts?: number;
  /** K: experts per token. */
  topK?: number;
  /** d: hidden size. */
  hidden?: number;
  /** h: each expert's intermediate size. */
  intermediate?: number;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  tieEmbeddings?: boolean;
}

/** A training run, as models/training/train-config.ts reads it; every field left out is the e8-top2 recipe's. */
export interface TrainRunInput {
  /** The run's name (default "run", then "run-2", …): progress and its model carry it. */
  name?: string;
  /** A fresh model, or `{ from: 'checkpoint', checkpoint: 'e8-top2' }` to fine-tune a shipped one. */
  model?: FreshModelInput | { from: 'checkpoint'; checkpoint: string };
  routing?: {
    /** α of the load-balancing loss (Switch Transformer eq. 4; Mixtral uses 0.02). */
    auxLossCoef?: number;
    /** β of the router z-loss (ST-MoE eq. 5 used 0.001). */
    zLossCoef?: number;
    /** Expert capacity factor (GShard §2.2); null = dropless. */
    capacityFactor?: number | null;
    /** Aux-loss-free balancing (DeepSeek-V3 §2.1.2): selection-bias update rate γ; null = off. */
    biasUpdateRate?: number | null;
  };
  schedule?: {
    lr?: number;
    minLr?: number;
    warmup?: number;
    weightDecay?: number;
    beta2?: number;
    clip?: number;
  };
  steps?: number;
  /** Sequences per batch (default 16). */
  batch?: number;
  /** Tokens per sequence (default 64). */
  seqLen?: number;
  seed?: number;
  /** Train on these Brown genres' documents only (letters "a"…"r"); null = the whole training split. */
  data?: { genres?: string[] | null };
}

export interface TrainSessionOptions {
  /** Validation loss every this many steps, and after the last (default: a tenth of the run). */
  evalEvery?: number;
  /** Windows of seqLen tokens each validation scores (default 8). */
  evalWindows?: number;
}

/** A run's state, streamed at most ~10 times a second per run. */
export interface TrainProgress {
  /** The run's name. */
  run: string;
  /** Steps done, of `steps`. */
  step: number;
  steps: number;
  /** The training losses of steps firstStep … step: every step, however rarely messages come. */
  firstStep: number;
  losses: number[];
  tokensSeen: number;
  /** This step's training loss, nats per token. */
  loss: number;
  /** Validation loss measured at this step, or null; and the last one measured so far. */
  valLoss: number | null;
  lastValLoss: number | null;
  lr: number;
  /** α·L_balance + β·L_z summed over layers; zLoss is the β·L_z part. */
  aux: number;
  zLoss: number;
  gradNorm: number;
  /** Per layer, tokens each expert computed this step: [layers][N]. */
  expertTokens: number[][];
  /** Per layer, mean router entropy (nats). */
  routerEntropy: number[];
  /** Per layer, routed slots the capacity limit dropped this step. */
  droppedSlots: number[];
  paused: boolean;
  msPerStep: number;
  tokensPerSecond: number;
}

/** How one run ended. */
export interface TrainedRun {
  name: string;
  stepsDone: number;
  steps: number;
  loss: number | null;
  valLoss: number | null;
  msPerStep: number;
  tokensPerSecond: number;
  totalParams: number;
  activeParams: number;
  /** The trained model, to route, generate with, save or export; null when the run failed before any weights. */
  model: LabModel | null;
  error: string | null;
}

export interface TrainResult {
  runs: TrainedRun[];
  cancelled: boolean;
  /** Why the runs stopped early, as a sentence; null when they finished or were cancelled. */
  error: string | null;
}

/**
 * A training run (or a race of up to four) in the page's engine. Iterate it for progress; `result()` waits for
 * the end. The engine does one thing at a time: other calls wait until the run ends.
 */
export interface LabTraining extends AsyncIterable<TrainProgress> {
  /**
   * The runs' ends, with the trained models.
   * @example
   * const { runs } = await training.result(); const model = runs[0].model;
   */
  result(): Promise<TrainResult>;
  pause(): void;
  resume(): void;
  /** Stops between steps; `result()` then holds what was trained so far. */
  cancel(): void;
}

/** The `lab` object every cell sees. */
export interface NotebookLab {
  /**
   * The shipped checkpoints `load` takes.
   * @example
   * (await lab.checkpoints()).map((c) => c.id);
   */
  checkpoints(): Promise<CheckpointInfo[]>;
  /**
   * Loads a shipped checkpoint into the page's engine (downloaded once, then cached for offline use).
   * @example
   * const model = await lab.load('e8-top2');
   */
  load(checkpoint: string): Promise<LabModel>;
  /**
   * Trains a fresh model (or fine-tunes a shipped one) on the Brown Corpus training split; an array races up to four.
   * @example
   * const training = lab.train({ steps: 100, model: { experts: 4, topK: 2 } });
   * for await (const p of training) console.log(p.step, p.loss);
   */
  train(runs: TrainRunInput | readonly TrainRunInput[], options?: TrainSessionOptions): LabTraining;
}

// The pure helpers: functions of models/ that need no model, run right in the cell's worker.

/** One SwiGLU expert in the Hugging Face layout: w1 (gate) [h, d], w3 (up) [h, d], w2 (down) [d, h]. */
export interface SwiGLUExpert {
  readonly w1: readonly (readonly number[])[];
  readonly w3: readonly (readonly number[])[];
  readonly w2: readonly (readonly number[])[];
}

/** Router weights W_g as [numExperts, dModel], plus the experts. */
export interface MoEParams {
  readonly routerWeight: readonly (readonly number[])[];
  readonly experts: readonly SwiGLUExpert[];
}

/** Every intermediate of one token's trip through the gate. */
export interface GateTrace {
  /** One logit per expert. */
  readonly logits: readonly number[];
  /** Softmax over all N logits. */
  readonly probs: readonly number[];
  /** The K selected experts, highest logit first. */
  readonly selected: readonly number[];
  /** G(x): renormalised weights, zero for every expert not selected. Sums to 1. */
  readonly weights: readonly number[];
}

export interface MoETrace extends GateTrace {
  /** Eᵢ(x) for the selected experts only. */
  readonly expertOutputs: ReadonlyMap<number, readonly number[]>;
  /** y = Σᵢ G(x)ᵢ · Eᵢ(x). */
  readonly y: readonly number[];
}

export interface KvCacheEstimate {
  /** Total bytes for `batch` sequences of `context` tokens. */
  bytes: number;
  bytesPerToken: number;
  layers: number;
  slidingLayers: number;
  kind: string;
}

/** A published MoE (or dense) model's real config.json, with its published parameter counts. */
export interface ModelPreset {
  id: string;
  name: string;
  /** The config.json (trimmed); `_source` is its URL on the Hugging Face Hub. */
  config: Record<string, unknown> & { _source: string; model_type: string };
  published?: {
    total: { value: number; source: string };
    active?: { value: number; source: string; convention: 'active' | 'activeWithoutEmbedding' };
  };
  note?: string;
}

/** Eleven coarse word classes of the Brown tags (models/moe/analyze.ts). */
export type PosClass =
  | 'noun'
  | 'verb'
  | 'adjective'
  | 'adverb'
  | 'pronoun'
  | 'determiner'
  | 'preposition'
  | 'conjunction'
  | 'punctuation'
  | 'number'
  | 'other';

/** The helpers in every cell's scope, by name. */
export interface NotebookHelpers {
  /**
   * Softmax, shifted by the maximum so large logits do not overflow.
   * @example
   * softmax([2, 1, 0]); // [0.665, 0.245, 0.090]
   */
  softmax(logits: readonly number[]): number[];
  /**
   * Indices of the k largest values, largest first.
   * @example
   * topK([0.1, 3, 2], 2); // [1, 2]
   */
  topK(values: readonly number[], k: number): number[];
  /**
   * Mixtral's gate: softmax over all logits, keep the top K, renormalise to sum to 1.
   * @example
   * mixtralGate([2, 1, 0, -1], 2).weights;
   */
  mixtralGate(logits: readonly number[], k: number): GateTrace;
  /**
   * One token through a top-K MoE layer, computing only the K selected experts.
   * @example
   * moeForward(randomMoEParams({ numExperts: 4, dModel: 3, dHidden: 5, seed: 1 }), [1, 0, -1], 2).y;
   */
  moeForward(params: MoEParams, x: readonly number[], k: number): MoETrace;
  /**
   * A small random MoE layer (weights uniform in ±scale/√fanIn).
   * @example
   * randomMoEParams({ numExperts: 4, dModel: 3, dHidden: 5, seed: 1 });
   */
  randomMoEParams(opts: {
    numExperts: number;
    dModel: number;
    dHidden: number;
    seed: number;
    scale?: number;
  }): MoEParams;
  /**
   * Deterministic uniform numbers in [0, 1): the same seed gives the same sequence.
   * @example
   * const random = seededRandom(1); random();
   */
  seededRandom(seed: number): () => number;
  /**
   * Parameters of any supported config.json (Mixtral, Qwen MoE, DeepSeek-V3, DBRX, OLMoE, gpt-oss, Switch, Mistral…).
   * @example
   * countParameters(presetById('mixtral-8x7b').config).total; // 46.7e9
   */
  countParameters(config: unknown): ParamReport;
  /**
   * Forward FLOPs per token of a Mixtral-style config at K (default its own), attending to `context` tokens.
   * @example
   * flopsPerToken(presetById('mixtral-8x7b').config, 4096, 2).total;
   */
  flopsPerToken(config: ModelConfig, context: number, topK?: number): TokenFlops;
  /**
   * KV-cache bytes of any supported config.json for `context` tokens and `batch` sequences (2 bytes a value unless told).
   * @example
   * kvCacheBytes(presetById('mixtral-8x7b').config, { context: 32768, batch: 1 }).bytes;
   */
  kvCacheBytes(config: unknown, options: { context: number; batch: number; bytesPerValue?: number }): KvCacheEstimate;
  /**
   * A copy of `config` with numbers changed by path (`num_local_experts`, `ffn_config.moe_top_k`): the
   * parameter calculator's edits, with its bounds and sentences.
   * @example
   * applyEdits(presetById('mixtral-8x7b').config, { num_local_experts: 16 });
   */
  applyEdits(config: unknown, edits: Readonly<Record<string, number>>): Record<string, unknown>;
  /** The real config.json files of published models the parameter calculator offers. */
  readonly MODEL_PRESETS: readonly ModelPreset[];
  /**
   * The preset with this id ("mixtral-8x7b", "deepseek-v3", …); throws a sentence listing the ids otherwise.
   * @example
   * presetById('qwen3-30b-a3b').config;
   */
  presetById(id: string): ModelPreset;
  /** The word classes in table order. */
  readonly POS_CLASSES: readonly PosClass[];
  /**
   * The coarse class of a Brown Corpus tag ("nn" → noun, "vbd" → verb, "," → punctuation …).
   * @example
   * posClassOfTag('jj'); // 'adjective'
   */
  posClassOfTag(tag: string): PosClass;
}
