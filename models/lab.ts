// The Lab: one object with the model's verbs, the thing scripts, the engine worker and notebooks call
// (nanoGPT's `GPT` plays this part). It owns the conventions a caller should not need to know:
//  - documents start after <|endoftext|>, so every text is encoded with it in front;
//  - generation stops at <|endoftext|> and never runs past the context the model was trained on;
//  - inference awaits every read from the device (mixtralForwardAsync, which WebGPU needs); training uses
//    the synchronous forward inside tf.variableGrads;
//  - backend set-up differs between Node (wasm binaries on disk) and a browser (bundled);
//  - every tensor it makes is disposed, and `dispose()` frees the weights.
import * as tf from '@tensorflow/tfjs-core';
import { flopsPerToken, type TokenFlops } from './accounting/flops.ts';
import { kvCacheBytes } from './accounting/memory.ts';
import { countParameters, type ParamReport } from './accounting/params.ts';
import { loadCheckpoint, saveCheckpoint, type CheckpointFiles } from './checkpoint/checkpoint.ts';
import type { FloatDtype } from './checkpoint/safetensors.ts';
import { generateTokens } from './generation/generate.ts';
import { argmax } from './generation/sample.ts';
import { joinWindowRouting, slidingWindows } from './nn/context-windows.ts';
import { disposeCache, emptyCache } from './nn/kv-cache.ts';
import { checkK } from './moe/check-k.ts';
import { analyzeWindows, type AnalysisWindow, type WindowsAnalysis } from './moe/analyze-windows.ts';
import { parseMixtralConfig, type MixtralConfig } from './nn/config.ts';
import {
  disposeModel,
  initMixtral,
  mixtralForwardAsync,
  mixtralFromTensors,
  mixtralToTensors,
  type LayerRouting,
  type MixtralModel,
} from './nn/transformer.ts';
import type { BackendName } from './runtime/backends.ts';
import { setupBackend } from './runtime/backend.ts';
import type { Batch } from './text/batches.ts';
import { Tokenizer } from './text/tokenizer.ts';
import { tokenNll } from './training/train.ts';
import { Training, type TrainOptions } from './training/trainer.ts';
import type { HostTensor } from './checkpoint/safetensors.ts';

/**
 * Most tokens one route call takes (end-of-text included): 16 contexts of the shipped models, so a pasted
 * book cannot keep the engine busy for minutes.
 */
export const MAX_ROUTED_TOKENS = 1024;

/** Where a checkpoint comes from: its files as bytes, URLs to fetch, or (in Node) a directory. */
export type CheckpointSource =
  | CheckpointFiles
  | { urls: Readonly<Record<string, string>>; fetch?: (url: string) => Promise<Uint8Array> }
  | { dir: string };

export interface LabOptions {
  /** Start this tfjs backend first (Node: 'wasm' or 'cpu'). Leave it out to use the one already running. */
  backend?: BackendName;
}

/** A token of the input or the output: its id and its text (a piece of a word, with its leading space). */
export interface LabToken {
  id: number;
  text: string;
}

/** What `route` found: each token's experts in every layer. */
export interface Routed {
  tokens: LabToken[];
  topK: number;
  numExperts: number;
  /** Per layer: chosen experts, gate weights and router probabilities per token (typed arrays). */
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
  /** Read back each step's routing (default true); false saves a little per token. */
  routing?: boolean;
}

/** One generated token, with the text so far and the routing of the step that produced it. */
export interface GeneratedStep extends LabToken {
  /** Everything generated so far, decoded at once (one character may span two tokens). */
  continuation: string;
  /** Per layer, for the step's input: the prompt (first token) or the previous token. Null with routing: false. */
  routing: LayerRouting[] | null;
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

/** Something with an `aborted` flag: an AbortSignal, or the engine's view of a cancelled request. */
export interface Cancellation {
  readonly aborted: boolean;
}

export interface LabMemory {
  /** tf.memory(): tensors alive and their bytes, this model's and any other. */
  numTensors: number;
  numBytes: number;
  /** Bytes of this model's weights (float32). */
  weightBytes: number;
  /** Bytes the KV cache held at the end of the last generation (it is freed afterwards). */
  kvCacheBytes: number;
}

export interface SaveOptions {
  /** Storage dtype of the weights (default F32, exact). */
  dtype?: FloatDtype;
  /** Extra strings for model.safetensors' `__metadata__`. */
  metadata?: Record<string, string>;
  /** In Node: also write the files into this directory. */
  dir?: string;
}

const isNode = (): boolean => typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** The Node-only half (filesystem, wasm binaries on disk), imported only in Node so bundles never see it. */
async function nodeModule<T>(file: string): Promise<T> {
  if (!isNode()) throw new Error(`This needs Node (it reads or writes files); in a browser pass bytes or URLs.`);
  return (await import(/* @vite-ignore */ `./node/${file}`)) as T;
}

/**
 * Starts `name` (in Node locating the wasm binaries on disk), or, without a name, keeps the backend that is
 * already running (the engine picks and checks its own) and otherwise starts wasm in Node, cpu elsewhere.
 */
async function ensureBackend(name: BackendName | undefined): Promise<void> {
  if (name === undefined && tf.engine().backendName) return;
  const backend = name ?? (isNode() ? 'wasm' : 'cpu');
  if (isNode()) {
    tf.env().set('IS_TEST', true); // silences tfjs's "install tfjs-node" banner
    const node = await nodeModule<{ setupNodeBackend(name: BackendName): Promise<void> }>('backend-node.ts');
    await node.setupNodeBackend(backend);
  } else {
    await setupBackend(backend);
  }
}

/** The checkpoint's files by name, whichever form `source` takes. */
async function filesOf(source: CheckpointSource): Promise<CheckpointFiles> {
  if (source instanceof Map) return source;
  // A file named "dir" or "urls" would hold bytes, never a string or a record of strings.
  const { dir, urls, fetch: get } = source as { dir?: unknown; urls?: unknown; fetch?: unknown };
  if (typeof dir === 'string') {
    const fs = await nodeModule<{ readCheckpointDir(dir: string): Promise<Map<string, Uint8Array>> }>(
      'checkpoint-fs.ts',
    );
    return fs.readCheckpointDir(dir);
  }
  if (typeof urls === 'object' && urls !== null && !(urls instanceof Uint8Array)) {
    const download =
      (get as ((url: string) => Promise<Uint8Array>) | undefined) ??
      (async (url: string) => {
        const response = await fetch(url);
        if (!response.ok) throw new Error(`Downloading ${url} failed: HTTP ${response.status} ${response.statusText}.`);
        return new Uint8Array(await response.arrayBuffer());
      });
    const files = new Map<string, Uint8Array>();
    for (const [name, url] of Object.entries(urls as Record<string, string>)) files.set(name, await download(url));
    return files;
  }
  return source as CheckpointFiles;
}

/** A tokenizer and the JSON to save it as: the file's own JSON when there is one, so a save keeps its bytes. */
interface HeldTokenizer {
  tokenizer: Tokenizer;
  json: unknown;
}

function asTokenizer(tokenizer: Tokenizer | unknown): HeldTokenizer | null {
  if (tokenizer === undefined || tokenizer === null) return null;
  if (tokenizer instanceof Tokenizer) return { tokenizer, json: tokenizer.toJSON() };
  return { tokenizer: Tokenizer.fromJSON(tokenizer), json: tokenizer };
}

/**
 * A Mixtral model with its tokenizer and the verbs the course uses.
 *
 * @example
 * const lab = await Lab.load({ dir: 'models/checkpoints/e8-top2' }, { backend: 'wasm' });
 * const { tokens, layers } = await lab.route('The jury said', { k: 2 });
 * lab.dispose();
 */
export class Lab {
  readonly config: MixtralConfig;
  /** What loading verified (checksums, shapes), in sentences; empty for a fresh model. */
  readonly notes: string[];
  private model: MixtralModel;
  private readonly heldTokenizer: HeldTokenizer | null;
  private lastKvTokens = 0;

  private constructor(model: MixtralModel, tokenizer: HeldTokenizer | null, notes: string[]) {
    this.model = model;
    this.config = model.config;
    this.heldTokenizer = tokenizer;
    this.notes = notes;
  }

  /**
   * Loads and verifies a checkpoint (config.json, model.safetensors, tokenizer.json, manifest.json).
   * @example
   * const lab = await Lab.load({ urls: { 'config.json': '/m/config.json', 'model.safetensors': '/m/model.safetensors' } });
   */
  static async load(source: CheckpointSource, options: LabOptions = {}): Promise<Lab> {
    await ensureBackend(options.backend);
    const checkpoint = await loadCheckpoint(await filesOf(source));
    const model = mixtralFromTensors(checkpoint.config, checkpoint.tensors);
    return new Lab(model, asTokenizer(checkpoint.tokenizerJson), checkpoint.notes);
  }

  /**
   * A fresh, randomly initialised model (transformers' initialisation) from a config.json object.
   * @example
   * const lab = await Lab.create({ config: { ...smallConfig }, tokenizer: tokenizerJson, seed: 1 });
   */
  static async create(
    input: { config: unknown; tokenizer?: Tokenizer | unknown; seed?: number },
    options: LabOptions = {},
  ): Promise<Lab> {
    await ensureBackend(options.backend);
    const model = initMixtral(parseMixtralConfig(input.config), input.seed ?? 0);
    return new Lab(model, asTokenizer(input.tokenizer), []);
  }

  /**
   * A model from weights already in memory (e.g. a training snapshot).
   * @example
   * const lab = await Lab.fromTensors({ config, tensors, tokenizer: tokenizerJson });
   */
  static async fromTensors(
    input: { config: unknown; tensors: ReadonlyMap<string, HostTensor>; tokenizer?: Tokenizer | unknown },
    options: LabOptions = {},
  ): Promise<Lab> {
    await ensureBackend(options.backend);
    const model = mixtralFromTensors(parseMixtralConfig(input.config), input.tensors);
    return new Lab(model, asTokenizer(input.tokenizer), []);
  }

  /** Whether the checkpoint came with a tokenizer.json (a PyTorch export may not). */
  get hasTokenizer(): boolean {
    return this.heldTokenizer !== null;
  }

  /**
   * The tokenizer; throws a sentence when the checkpoint came without one.
   * @example
   * lab.tokenizer.encode('Hello').ids;
   */
  get tokenizer(): Tokenizer {
    if (!this.heldTokenizer) {
      throw new Error('This checkpoint has no tokenizer.json, so text cannot be encoded; pass token ids instead.');
    }
    return this.heldTokenizer.tokenizer;
  }

  /**
   * Token ids the model reads for `text`: <|endoftext|> first, as every training document starts.
   * @example
   * lab.encode('The jury'); // [0, 464, …]
   */
  encode(text: string): number[] {
    return [this.tokenizer.endOfTextId, ...this.tokenizer.encode(text).ids];
  }

  /**
   * Runs `text` through the model and returns which experts each token went to, layer by layer. Text longer
   * than the context is read in overlapping windows of it (each token with at least half a context before it).
   * @example
   * const { tokens, layers } = await lab.route('The jury said', { k: 2 });
   * layers[0].expertIndex; // [tokens × k] expert ids
   * // With a capacity factor, each window's experts take at most ⌈factor · tokens · K / N⌉ rows; the choices
   * // past it are dropped (layers[l].dropped), and the token keeps only its residual for them (Switch §2.2).
   * await lab.route(passage, { capacityFactor: 1 });
   */
  async route(text: string, options: { k?: number; capacityFactor?: number | null } = {}): Promise<Routed> {
    const k = this.checkK(options.k);
    const capacityFactor = checkCapacityFactor(options.capacityFactor);
    const ids = this.encode(text);
    if (ids.length > MAX_ROUTED_TOKENS) {
      throw new Error(
        `The text is ${(ids.length - 1).toLocaleString('en-US')} tokens long; at most ${(MAX_ROUTED_TOKENS - 1).toLocaleString('en-US')} tokens are routed at a time. Shorten it.`,
      );
    }
    // Longer than the context: overlapping windows of it, each token reported once (nn/context-windows.ts).
    const windows = slidingWindows(ids.length, this.config.max_position_embeddings);
    const numExperts = this.config.num_local_experts;
    const perWindow: LayerRouting[][] = [];
    const start = performance.now();
    for (const w of windows) {
      const windowIds = ids.slice(w.start, w.end);
      const input = tf.tensor2d([windowIds], [1, windowIds.length], 'int32');
      try {
        const { logits, routing } = await mixtralForwardAsync(this.model, input, {
          stats: true,
          topK: k,
          hostIds: windowIds,
          capacityFactor,
        });
        // Wait for the device, so the timing is honest, reading back one number rather than every logit.
        const one = tf.slice(logits, [0, windowIds.length - 1, 0], [1, 1, 1]);
        await one.data();
        tf.dispose([one, logits]);
        perWindow.push(routing ?? []);
      } finally {
        input.dispose();
      }
    }
    const layers = Array.from({ length: this.config.num_hidden_layers }, (_, l) =>
      joinWindowRouting(
        windows,
        perWindow.map((window) => window[l]!),
        k,
        numExperts,
      ),
    );
    return { tokens: this.tokens(ids), topK: k, numExperts, layers, ms: performance.now() - start };
  }

  /**
   * Routing of ready-made windows of token ids (no end-of-text added), all of one length, as one batch.
   * Tokens are batch-major in the result: token t of window b is row b·seq + t. `selectionBias`, per layer
   * [N], is a bias-balanced run's learnt bias (`Training.selectionBias()`), added to the scores for the choice.
   * @example
   * const layers = await lab.routeIds([[5, 9, 2], [7, 7, 1]], { k: 2 });
   */
  async routeIds(
    windows: readonly (readonly number[])[],
    options: { k?: number; selectionBias?: readonly (readonly number[])[] } = {},
  ): Promise<LayerRouting[]> {
    const k = this.checkK(options.k);
    const seq = windows[0]?.length ?? 0;
    if (seq === 0 || windows.some((w) => w.length !== seq)) {
      throw new RangeError('Give one or more windows of token ids, all of the same non-zero length.');
    }
    const input = tf.tensor2d(Int32Array.from(windows.flat()), [windows.length, seq], 'int32');
    try {
      const selectionBias = options.selectionBias?.map((layer) => Float32Array.from(layer));
      const { logits, routing } = await mixtralForwardAsync(this.model, input, { stats: true, topK: k, selectionBias });
      logits.dispose();
      return routing ?? [];
    } finally {
      input.dispose();
    }
  }

  /**
   * Where the model routes held-out windows (models/moe/analyze-windows.ts): expert load overall, per genre
   * and per word class, each expert's over-represented classes and tokens, and how often neighbours share
   * an expert. Cancelled between batches, it covers the windows done so far.
   * @example
   * const { analysis } = await lab.analyzeRouting(documentWindows(docs, 64, 1), { k: 2 });
   */
  async analyzeRouting(
    windows: readonly AnalysisWindow[],
    options: {
      k?: number;
      batch?: number;
      onProgress?: (done: number, total: number) => void;
      cancelled?: () => boolean;
      between?: () => Promise<void>;
    } = {},
  ): Promise<WindowsAnalysis> {
    const k = this.checkK(options.k);
    const seq = this.config.max_position_embeddings;
    if (windows.some((w) => w.ids.length !== windows[0]!.ids.length || w.ids.length > seq)) {
      throw new RangeError(`Windows must all have one length, at most the model's context of ${seq} tokens.`);
    }
    return analyzeWindows((ids, kk) => this.routeIds(ids, { k: kk }), windows, {
      ...options,
      k,
      numExperts: this.config.num_local_experts,
      tokenText: this.hasTokenizer ? (id) => this.tokenizer.decode([id]) : undefined,
    });
  }

  /**
   * Continues `prompt` token by token (KV cache), with the routing of every step; `break` stops it.
   * @example
   * for await (const step of lab.generate('The jury said', { maxNewTokens: 20, seed: 2 })) console.log(step.text);
   */
  async *generate(prompt: string, options: LabGenerateOptions = {}): AsyncGenerator<GeneratedStep, void> {
    const k = this.checkK(options.k);
    const promptIds = this.encode(prompt);
    const context = this.config.max_position_embeddings;
    // The model never saw positions past its context in training: generate only into the room left.
    const room = context - promptIds.length;
    if (room < 1)
      throw new Error(`The text already fills this model's ${context}-token context; shorten it to generate.`);
    const maxNewTokens = options.maxNewTokens ?? 40;
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) {
      throw new RangeError(`maxNewTokens must be a whole number ≥ 0; got ${maxNewTokens}.`);
    }
    const generated: number[] = [];
    this.lastKvTokens = promptIds.length;
    for await (const step of generateTokens(this.model, promptIds, {
      maxNewTokens: Math.min(maxNewTokens, room),
      temperature: options.temperature ?? 0.8,
      topP: options.topP ?? 0.95,
      seed: options.seed ?? 0,
      topK: k,
      stopIds: [this.tokenizer.endOfTextId],
      stats: options.routing ?? true,
    })) {
      generated.push(step.id);
      this.lastKvTokens = promptIds.length + generated.length - 1;
      yield {
        id: step.id,
        text: this.tokenizer.decode([step.id]),
        continuation: this.tokenizer.decode(generated),
        routing: step.routing,
        ms: step.ms,
      };
    }
  }

  /**
   * The bare decoding speed: a prefill of `prompt`, then `tokens` single-token forward passes with the KV
   * cache, greedy, no routing read back, no pauses. What generation costs before anything around it.
   * @example
   * const { msPerToken } = await lab.decodeSpeed('The jury said', { tokens: 32 });
   */
  async decodeSpeed(
    prompt: string,
    options: { tokens: number; k?: number },
  ): Promise<{ prefillMs: number; msPerToken: number; tokens: number }> {
    const k = this.checkK(options.k);
    const promptIds = this.encode(prompt);
    const tokens = Math.min(options.tokens, this.config.max_position_embeddings - promptIds.length);
    if (!Number.isInteger(tokens) || tokens < 2) {
      throw new RangeError('Time at least 2 tokens, within the context the prompt leaves free.');
    }
    const cache = emptyCache(this.config);
    const times: number[] = [];
    try {
      let input = promptIds;
      for (let step = 0; step < tokens; step++) {
        const start = performance.now();
        const ids = tf.tensor2d([input], [1, input.length], 'int32');
        const { logits } = await mixtralForwardAsync(this.model, ids, { cache, topK: k, hostIds: input });
        const last = tf.tidy(() => tf.slice(logits, [0, input.length - 1, 0], [1, 1, this.config.vocab_size]));
        const values = await last.data();
        tf.dispose([ids, logits, last]);
        input = [argmax(values)];
        times.push(performance.now() - start);
      }
    } finally {
      disposeCache(cache);
    }
    const decode = times.slice(1);
    return {
      prefillMs: times[0]!,
      msPerToken: decode.reduce((a, b) => a + b, 0) / decode.length,
      tokens: decode.length,
    };
  }

  /**
   * Mean next-token loss of `text` at each K: how much quality routing to fewer experts costs.
   * @example
   * const points = await lab.heldOutLoss(passage, [1, 2, 4, 8]); // [{ k: 1, loss: 4.1, … }, …]
   */
  async heldOutLoss(
    text: string,
    ks: readonly number[],
    options: { signal?: Cancellation; capacityFactor?: number | null } = {},
  ): Promise<HeldOutLoss[]> {
    ks.forEach((k) => this.checkK(k));
    const capacityFactor = checkCapacityFactor(options.capacityFactor);
    const ids = this.encode(text).slice(0, this.config.max_position_embeddings);
    if (ids.length < 2) throw new Error('The held-out text must hold at least one token to predict.');
    const points: HeldOutLoss[] = [];
    const inputIds = ids.slice(0, -1);
    const input = tf.tensor2d([inputIds], [1, ids.length - 1], 'int32');
    const targets = tf.tensor2d([ids.slice(1)], [1, ids.length - 1], 'int32');
    try {
      for (const k of ks) {
        if (options.signal?.aborted) break;
        const { logits } = await mixtralForwardAsync(this.model, input, { topK: k, hostIds: inputIds, capacityFactor });
        const loss = tf.tidy(() => tf.mean(tokenNll(logits, targets)));
        logits.dispose();
        const value = (await loss.data())[0]!;
        loss.dispose();
        points.push({ k, loss: value, perplexity: Math.exp(value), tokens: ids.length - 1 });
      }
    } finally {
      tf.dispose([input, targets]);
    }
    return points;
  }

  /**
   * Logits for token ids (no end-of-text added): [ids.length][vocab_size].
   * @example
   * const rows = await lab.logits([1, 17, 5]);
   */
  async logits(ids: readonly number[], options: { k?: number } = {}): Promise<number[][]> {
    const k = this.checkK(options.k);
    if (ids.length === 0) throw new RangeError('Give at least one token id.');
    const input = tf.tensor2d([[...ids]], [1, ids.length], 'int32');
    try {
      const { logits } = await mixtralForwardAsync(this.model, input, { topK: k, hostIds: ids });
      const rows = (await logits.array())[0]!;
      logits.dispose();
      return rows;
    } finally {
      input.dispose();
    }
  }

  /**
   * Summed next-token loss of ready-made batches (no auxiliary losses): what `npm run moe -- eval` adds up.
   * @example
   * const { sum, tokens } = await lab.nll(batch);
   */
  async nll(batch: Batch, options: { k?: number } = {}): Promise<{ sum: number; tokens: number }> {
    const k = this.checkK(options.k);
    const shape: [number, number] = [batch.batchSize, batch.seqLen];
    const input = tf.tensor2d(batch.inputs, shape, 'int32');
    const targets = tf.tensor2d(batch.targets, shape, 'int32');
    try {
      const { logits } = await mixtralForwardAsync(this.model, input, { topK: k });
      const sum = tf.tidy(() => tf.sum(tokenNll(logits, targets)));
      logits.dispose();
      const value = (await sum.data())[0]!;
      sum.dispose();
      return { sum: value, tokens: batch.batchSize * batch.seqLen };
    } finally {
      tf.dispose([input, targets]);
    }
  }

  /**
   * Forward FLOPs one token costs at K experts per token, with `context` tokens to attend to.
   * @example
   * lab.flopsPerToken(2, 64).total;
   */
  flopsPerToken(k?: number, context: number = this.config.max_position_embeddings): TokenFlops {
    return flopsPerToken(this.config, context, this.checkK(k));
  }

  /**
   * Bytes of this model's KV cache holding `tokens` positions (float32, as tfjs keeps it).
   * @example
   * lab.kvCacheBytes(64); // 2 · layers · kvHeads · headDim · 64 · 4
   */
  kvCacheBytes(tokens: number): number {
    if (tokens === 0) return 0;
    return kvCacheBytes(this.config, { context: tokens, batch: 1, bytesPerValue: 4 }).bytes;
  }

  /**
   * Parameters held and used per token (at K, default the trained K), by component.
   * @example
   * const { total, active } = lab.parameters();
   */
  parameters(k?: number): ParamReport {
    return countParameters({ ...this.config, num_experts_per_tok: this.checkK(k) });
  }

  /**
   * Tensors alive, this model's weight bytes, and the last generation's KV-cache bytes.
   * @example
   * lab.memory().numTensors;
   */
  memory(): LabMemory {
    const memory = tf.memory();
    let weightBytes = 0;
    this.model.weights.forEach((w) => (weightBytes += w.size * 4));
    return {
      numTensors: memory.numTensors,
      numBytes: memory.numBytes,
      weightBytes,
      kvCacheBytes: this.kvCacheBytes(this.lastKvTokens),
    };
  }

  /**
   * Starts a training run on this model (AdamW, warm-up + cosine, clipping); step it or iterate it.
   * @example
   * const run = lab.train({ train: ids, steps: 10, batchSize: 4, seqLen: 32, seed: 1, schedule: { maxLr: 3e-3, minLr: 3e-4, warmupSteps: 2 } });
   * for await (const p of run) console.log(p.step, p.loss);
   * run.dispose();
   */
  train(options: TrainOptions): Training {
    return new Training(this.model, options);
  }

  /**
   * The model as Hugging Face checkpoint files (config.json, model.safetensors, tokenizer.json, manifest.json).
   * @example
   * const files = await lab.save({ dtype: 'F16' }); // Map name → bytes; Lab.load(files) reads it back
   */
  async save(options: SaveOptions = {}): Promise<Map<string, Uint8Array>> {
    const { files } = await saveCheckpoint({
      config: this.config,
      tensors: mixtralToTensors(this.model),
      tokenizerJson: this.heldTokenizer?.json,
      dtype: options.dtype,
      metadata: options.metadata,
    });
    if (options.dir !== undefined) {
      const fs = await nodeModule<{ writeCheckpointDir(dir: string, files: Map<string, Uint8Array>): Promise<void> }>(
        'checkpoint-fs.ts',
      );
      await fs.writeCheckpointDir(options.dir, files);
    }
    return files;
  }

  /**
   * The weights' Hugging Face names, in checkpoint order (e.g. to choose which ones a run trains).
   * @example
   * lab.weightNames().filter((n) => n.includes('.self_attn.'));
   */
  weightNames(): string[] {
    return [...this.model.weights.keys()];
  }

  /**
   * The weights as host tensors, in checkpoint order (for snapshots).
   * @example
   * const tensors = lab.tensors();
   */
  tensors(): Map<string, HostTensor> {
    return mixtralToTensors(this.model);
  }

  /**
   * Re-creates the weights on the backend now running (tfjs keeps tensors per backend).
   * @example
   * await tf.setBackend('cpu'); await lab.moveToActiveBackend();
   */
  async moveToActiveBackend(): Promise<void> {
    const tensors = new Map<string, HostTensor>();
    for (const [name, w] of this.model.weights) {
      tensors.set(name, { shape: w.shape, data: (await w.data()) as Float32Array });
    }
    const model = mixtralFromTensors(this.config, tensors);
    this.disposeWeights();
    this.model = model;
  }

  /**
   * Frees the weights; the Lab cannot be used afterwards.
   * @example
   * lab.dispose();
   */
  dispose(): void {
    this.disposeWeights();
  }

  private disposeWeights(): void {
    try {
      disposeModel(this.model);
    } catch {
      // A lost WebGL context cannot free its textures; they are gone with it anyway.
      this.model.weights.clear();
    }
  }

  private checkK(k: number | undefined): number {
    const chosen = k ?? this.config.num_experts_per_tok;
    checkK(chosen, this.config.num_local_experts);
    return chosen;
  }

  private tokens(ids: readonly number[]): LabToken[] {
    return ids.map((id) => ({ id, text: this.tokenizer.decode([id]) }));
  }
}

/** An inference-time capacity factor: positive and finite, or null/absent for dropless routing. */
function checkCapacityFactor(factor: number | null | undefined): number | null {
  if (factor === undefined || factor === null) return null;
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor <= 0) {
    throw new RangeError(`The capacity factor must be a number above 0, or none for dropless routing; got ${factor}.`);
  }
  return factor;
}
