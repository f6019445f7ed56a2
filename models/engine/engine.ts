// The inference engine behind the live widgets: picks a tfjs backend, downloads and verifies a checkpoint,
// and answers routing, generation and held-out-loss requests. It has no DOM and no knowledge of workers:
// models/engine/worker.ts connects it to a Web Worker, components/engine-client.ts to a page.
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '../backend.ts';
import { benchmarkCase, type BenchResult } from '../bench.ts';
import { loadCheckpoint } from '../checkpoint.ts';
import { headDim } from '../config.ts';
import { generateTokens } from '../generate.ts';
import { slidingWindows, sliceRows } from '../context-windows.ts';
import { countParameters } from '../params.ts';
import { Tokenizer } from '../tokenizer.ts';
import { tokenNll } from '../train.ts';
import {
  disposeModel,
  mixtralForwardAsync,
  mixtralFromTensors,
  type LayerRouting,
  type MixtralModel,
} from '../transformer.ts';
import {
  BACKEND_PREFERENCE,
  type BackendName,
  type BackendReport,
  type CheckpointSource,
  type EngineRequests,
  type EngineResults,
  type GeneratedTokenMessage,
  type LayerRoutingReport,
  type LoadProgress,
  type LossPoint,
  type MemoryReport,
  type ModelInfo,
  type RequestType,
} from './protocol.ts';

/** What a request handler can tell its caller while it runs. */
export interface RequestContext {
  progress(progress: LoadProgress): void;
  token(token: GeneratedTokenMessage): void;
  benchRow(row: BenchResult, done: number, total: number): void;
  /** True once the page has cancelled this request. */
  cancelled(): boolean;
}

/** Fetches a URL; the worker passes one that reads through Cache Storage, tests pass plain fetch. */
export type Fetcher = (url: string) => Promise<{ body: Uint8Array; fromCache: boolean }>;

export interface EngineEnvironment {
  inWorker: boolean;
  fetchFile: Fetcher;
  /** Removes a file from the offline cache (after it failed verification). */
  forgetFile?: (url: string) => Promise<void>;
}

interface Loaded {
  model: MixtralModel;
  tokenizer: Tokenizer;
  info: ModelInfo;
}

/**
 * Forward FLOPs per token ≈ 2 × (parameters used, LM head included, input embedding not) + 2 × layers ×
 * context × attention width, Kaplan et al.'s one attention row (2020, "Scaling Laws for Neural Language
 * Models", Table 1; the scores and the weighted sum counted directly would be twice that row). For an MoE
 * only the K chosen experts count.
 */
export function flopsPerToken(model: MixtralModel, topK: number, context: number): number {
  const c = model.config;
  const params = countParameters({ ...c, num_experts_per_tok: topK });
  const attentionWidth = c.num_attention_heads * headDim(c);
  return 2 * params.activeWithoutEmbedding + 2 * c.num_hidden_layers * context * attentionWidth;
}

/**
 * Most tokens one route request takes (end-of-text token included): 16 contexts' worth, so a pasted book
 * cannot keep the engine busy for minutes.
 */
export const MAX_ROUTED_TOKENS = 1024;

function routingReport(routing: LayerRouting[] | null): LayerRoutingReport[] {
  return (routing ?? []).map((layer) => ({
    expertIndex: Array.from(layer.expertIndex),
    gateWeights: Array.from(layer.gateWeights),
    probs: Array.from(layer.probs),
    expertTokens: Array.from(layer.expertTokens),
  }));
}

export class Engine {
  private backend: BackendName | null = null;
  private skipped: BackendReport['skipped'] = [];
  private loaded: Loaded | null = null;
  /** The checkpoint last asked for, so a recovered engine can load it again by itself. */
  private source: CheckpointSource | null = null;
  private lastKvCacheBytes = 0;
  private readonly env: EngineEnvironment;

  constructor(env: EngineEnvironment) {
    this.env = env;
  }

  /**
   * Runs one request; throws a sentence for the page to show. A request that fails because the WebGL
   * context was lost (a GPU reset, a driver crash, too many contexts) is retried once on the next backend.
   */
  async handle<T extends RequestType>(
    type: T,
    payload: EngineRequests[T],
    context: RequestContext,
  ): Promise<EngineResults[T]> {
    try {
      return await this.dispatch(type, payload, context);
    } catch (error) {
      if (type === 'loseContext' || !webglContextLost()) throw error;
      await this.recover('the WebGL context was lost', context);
      return this.dispatch(type, payload, context);
    }
  }

  private async dispatch<T extends RequestType>(
    type: T,
    payload: EngineRequests[T],
    context: RequestContext,
  ): Promise<EngineResults[T]> {
    // The switch narrows `payload` but not T, hence the casts on the way out.
    switch (type) {
      case 'init':
        return (await this.init((payload as EngineRequests['init']).backend)) as EngineResults[T];
      case 'load':
        return (await this.load((payload as EngineRequests['load']).checkpoint, context)) as EngineResults[T];
      case 'route': {
        const { text, topK } = payload as EngineRequests['route'];
        return (await this.route(text, topK)) as EngineResults[T];
      }
      case 'generate':
        return (await this.generate(payload as EngineRequests['generate'], context)) as EngineResults[T];
      case 'heldOutLoss': {
        const { text, topKs } = payload as EngineRequests['heldOutLoss'];
        return (await this.heldOutLoss(text, topKs, context)) as EngineResults[T];
      }
      case 'memory':
        return this.memory() as EngineResults[T];
      case 'benchmark':
        return (await this.benchmark((payload as EngineRequests['benchmark']).cases, context)) as EngineResults[T];
      case 'loseContext':
        return (await this.loseContext(context)) as EngineResults[T];
      default:
        // Messages arrive untyped from another thread: a page built from other code may send anything.
        throw new Error(`Unknown request "${String(type)}".`);
    }
  }

  private report(): BackendReport {
    if (!this.backend) throw new Error('No backend is running yet.');
    return { backend: this.backend, skipped: this.skipped, inWorker: this.env.inWorker };
  }

  /** Starts `choice`, or the first backend that works, checking each on a small known computation. */
  async init(choice: BackendName | 'auto'): Promise<BackendReport> {
    const candidates = choice === 'auto' ? BACKEND_PREFERENCE : [choice];
    this.skipped = [];
    for (const name of candidates) {
      try {
        await setupBackend(name);
        await sanityCheck();
        this.backend = name;
        if (this.loaded) this.loaded = await this.rebuild(this.loaded);
        return this.report();
      } catch (error) {
        this.skipped.push({ backend: name, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    const reasons = this.skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
    // A backend the reader chose by name: say which one failed, not that none could start.
    if (choice !== 'auto') throw new Error(`The ${choice} backend could not start here: ${this.skipped[0]?.reason}`);
    throw new Error(`No TensorFlow.js backend could start in this browser (${reasons}).`);
  }

  /** Moves the loaded weights onto the new backend (tfjs keeps tensors per backend). */
  private async rebuild(loaded: Loaded): Promise<Loaded> {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, weight] of loaded.model.weights) {
      tensors.set(name, { shape: weight.shape, data: (await weight.data()) as Float32Array });
    }
    disposeModel(loaded.model);
    const model = mixtralFromTensors(loaded.model.config, tensors);
    return { ...loaded, model, info: { ...loaded.info, backend: this.backend! } };
  }

  private requireModel(): Loaded {
    if (!this.loaded) throw new Error('No checkpoint is loaded yet.');
    return this.loaded;
  }

  async load(source: CheckpointSource, context: RequestContext): Promise<ModelInfo> {
    if (!this.backend) await this.init('auto');
    this.source = source;
    const names = Object.keys(source.files);
    const files = new Map<string, Uint8Array>();
    let fromCache = true;
    let downloaded = 0;
    for (const name of names) {
      if (context.cancelled()) throw new Error('Loading was cancelled.');
      context.progress({ phase: 'download', loaded: downloaded, total: 0, file: name });
      const { body, fromCache: cached } = await this.env.fetchFile(source.files[name]!).catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`Could not load the checkpoint "${source.id}" (${name}): ${reason}`, { cause: error });
      });
      fromCache &&= cached;
      downloaded += body.byteLength;
      files.set(name, body);
      context.progress({ phase: 'download', loaded: downloaded, total: 0, file: name });
    }
    context.progress({ phase: 'verify', loaded: 0, total: 1 });
    let checkpoint;
    try {
      checkpoint = await loadCheckpoint(files);
    } catch (error) {
      // A corrupted file must not stay in the offline cache, or every retry would fail the same way.
      await Promise.all(Object.values(source.files).map((url) => this.env.forgetFile?.(url)));
      throw new Error(
        `The checkpoint "${source.id}" could not be used: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (checkpoint.tokenizerJson === undefined) throw new Error(`The checkpoint "${source.id}" has no tokenizer.json.`);
    context.progress({ phase: 'convert', loaded: 0, total: 1 });
    const tokenizer = Tokenizer.fromJSON(checkpoint.tokenizerJson);
    const model = mixtralFromTensors(checkpoint.config, checkpoint.tensors);
    if (this.loaded) disposeModel(this.loaded.model);
    const params = countParameters(checkpoint.config);
    const info: ModelInfo = {
      checkpoint: source.id,
      numLayers: checkpoint.config.num_hidden_layers,
      numExperts: checkpoint.config.num_local_experts,
      trainedTopK: checkpoint.config.num_experts_per_tok,
      hiddenSize: checkpoint.config.hidden_size,
      vocabSize: checkpoint.config.vocab_size,
      contextSize: checkpoint.config.max_position_embeddings,
      totalParams: params.total,
      activeParams: params.active,
      downloadBytes: downloaded,
      fromCache,
      notes: checkpoint.notes,
      backend: this.backend!,
    };
    this.loaded = { model, tokenizer, info };
    // One throwaway pass: compiles the GPU kernels now rather than inside the reader's first timing, and
    // proves the model runs on this backend (a failure here is caught like any other backend failure).
    await this.route(' ', model.config.num_experts_per_tok);
    context.progress({ phase: 'convert', loaded: 1, total: 1 });
    return info;
  }

  private checkTopK(topK: number): void {
    const n = this.requireModel().model.config.num_local_experts;
    if (!Number.isInteger(topK) || topK < 1 || topK > n) {
      throw new Error(`K must be a whole number between 1 and the number of experts (${n}); got ${topK}.`);
    }
  }

  private tokens(ids: readonly number[]): { id: number; text: string }[] {
    const { tokenizer } = this.requireModel();
    return ids.map((id) => ({ id, text: tokenizer.decode([id]) }));
  }

  async route(text: string, topK: number) {
    const { model, tokenizer } = this.requireModel();
    this.checkTopK(topK);
    const ids = [tokenizer.endOfTextId, ...tokenizer.encode(text).ids];
    const context = model.config.max_position_embeddings;
    if (ids.length > MAX_ROUTED_TOKENS) {
      throw new Error(
        `The text is ${(ids.length - 1).toLocaleString('en-US')} tokens long; this page routes at most ${(MAX_ROUTED_TOKENS - 1).toLocaleString('en-US')} tokens at a time. Shorten it.`,
      );
    }
    // Longer than the context: overlapping windows of the context (models/context-windows.ts).
    const windows = slidingWindows(ids.length, context);
    const n = model.config.num_local_experts;
    const layers: LayerRoutingReport[] = Array.from({ length: model.config.num_hidden_layers }, () => ({
      expertIndex: [],
      gateWeights: [],
      probs: [],
      expertTokens: new Array<number>(n).fill(0),
    }));
    const start = performance.now();
    for (const w of windows) {
      const input = tf.tensor2d([ids.slice(w.start, w.end)], [1, w.end - w.start], 'int32');
      const { logits, routing } = await mixtralForwardAsync(model, input, { stats: true, topK });
      await logits.data(); // wait for the device, so the timing is honest
      tf.dispose([input, logits]);
      (routing ?? []).forEach((layer, l) => {
        const into = layers[l]!;
        const [from, to] = [w.keepFrom - w.start, w.end - w.start];
        const chosen = sliceRows(layer.expertIndex, topK, from, to);
        into.expertIndex.push(...chosen);
        into.gateWeights.push(...sliceRows(layer.gateWeights, topK, from, to));
        into.probs.push(...sliceRows(layer.probs, n, from, to));
        for (const e of chosen) into.expertTokens[e]! += 1;
      });
    }
    const prefillMs = performance.now() - start;
    return {
      tokens: this.tokens(ids),
      topK,
      numExperts: n,
      layers,
      timings: { prefillMs, msPerToken: 0, tokensPerSecond: (ids.length / prefillMs) * 1000 },
      activeParams: countParameters({ ...model.config, num_experts_per_tok: topK }).active,
      flopsPerToken: flopsPerToken(model, topK, Math.min(ids.length, context)),
      memory: this.memory(),
    };
  }

  async generate(request: EngineRequests['generate'], context: RequestContext): Promise<EngineResults['generate']> {
    const { model, tokenizer } = this.requireModel();
    this.checkTopK(request.topK);
    const promptIds = [tokenizer.endOfTextId, ...tokenizer.encode(request.prompt).ids];
    // The model never saw positions past its context in training: generate only into the room left.
    const room = model.config.max_position_embeddings - promptIds.length;
    if (room < 1) {
      throw new Error(
        `The text already fills this model's ${model.config.max_position_embeddings}-token context; shorten it to generate.`,
      );
    }
    const generated: number[] = [];
    let prefillMs = 0;
    let decodeMs = 0;
    let cancelled = false;
    const c = model.config;
    for await (const step of generateTokens(model, promptIds, {
      maxNewTokens: Math.min(request.maxNewTokens, room),
      temperature: request.temperature,
      topP: request.topP,
      seed: request.seed,
      topK: request.topK,
      stopIds: [tokenizer.endOfTextId],
      stats: true,
    })) {
      if (generated.length === 0 && prefillMs === 0) prefillMs = step.ms;
      else decodeMs += step.ms;
      const length = promptIds.length + generated.length;
      this.lastKvCacheBytes = 2 * c.num_hidden_layers * c.num_key_value_heads * headDim(c) * length * 4;
      if (step.id === tokenizer.endOfTextId) break;
      generated.push(step.id);
      context.token({
        token: this.tokens([step.id])[0]!,
        text: tokenizer.decode(generated),
        layers: routingReport(step.routing),
        ms: step.ms,
      });
      if (context.cancelled()) {
        cancelled = true;
        break;
      }
      // Let the cancel message in: the loop would otherwise hold the worker's event loop.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const decoded = Math.max(generated.length - 1, 0);
    const msPerToken = decoded > 0 ? decodeMs / decoded : 0;
    return {
      text: tokenizer.decode(generated),
      tokens: generated.length,
      timings: { prefillMs, msPerToken, tokensPerSecond: msPerToken > 0 ? 1000 / msPerToken : 0 },
      memory: this.memory(),
      cancelled,
    };
  }

  /** Mean next-token loss of `text` for each K: how much quality routing to fewer experts costs. */
  async heldOutLoss(text: string, topKs: number[], context: RequestContext): Promise<LossPoint[]> {
    const { model, tokenizer } = this.requireModel();
    const ids = [tokenizer.endOfTextId, ...tokenizer.encode(text).ids].slice(0, model.config.max_position_embeddings);
    const points: LossPoint[] = [];
    for (const topK of topKs) {
      this.checkTopK(topK);
      if (context.cancelled()) break;
      const input = tf.tensor2d([ids.slice(0, -1)], [1, ids.length - 1], 'int32');
      const targets = tf.tensor2d([ids.slice(1)], [1, ids.length - 1], 'int32');
      const { logits } = await mixtralForwardAsync(model, input, { topK });
      const nll = tokenNll(logits, targets);
      const loss = tf.tidy(() => tf.mean(nll));
      const value = (await loss.data())[0]!;
      tf.dispose([input, targets, logits, nll, loss]);
      points.push({ topK, loss: value, perplexity: Math.exp(value), tokens: ids.length - 1 });
    }
    return points;
  }

  /** The MoE-layer benchmark, case by case, streaming each row; stops between runs when cancelled. */
  async benchmark(cases: EngineRequests['benchmark']['cases'], context: RequestContext) {
    if (!this.backend) await this.init('auto');
    const results: BenchResult[] = [];
    for (const [i, c] of cases.entries()) {
      if (context.cancelled()) break;
      const row = await benchmarkCase(c, context.cancelled);
      if (context.cancelled()) break;
      results.push(row);
      context.benchRow(row, i + 1, cases.length);
      // Lets a cancel message arrive between cases.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return { backend: this.backend!, results, cancelled: context.cancelled() };
  }

  memory(): MemoryReport {
    const memory = tf.memory();
    let weightBytes = 0;
    this.loaded?.model.weights.forEach((w) => (weightBytes += w.size * 4));
    return {
      numTensors: memory.numTensors,
      numBytes: memory.numBytes,
      weightBytes,
      kvCacheBytes: this.lastKvCacheBytes,
    };
  }

  /** Loses the WebGL context on purpose, as a GPU reset would, and recovers as from a real loss. */
  async loseContext(context: RequestContext): Promise<BackendReport> {
    if (this.backend !== 'webgl')
      throw new Error(`Only a WebGL context can be lost; the engine runs on ${this.backend}.`);
    webglContext()?.getExtension('WEBGL_lose_context')?.loseContext();
    return this.recover('the WebGL context was lost', context);
  }

  /** Restarts on the backends after the failed one and loads the last checkpoint again (from the cache). */
  private async recover(reason: string, context: RequestContext): Promise<BackendReport> {
    const failed = this.backend ?? 'webgl';
    if (this.loaded) {
      try {
        disposeModel(this.loaded.model);
      } catch {
        // A lost context cannot free its textures; they are gone with it anyway.
      }
      this.loaded = null;
    }
    const skippedBefore = [...this.skipped, { backend: failed, reason }];
    const rest = BACKEND_PREFERENCE.slice(BACKEND_PREFERENCE.indexOf(failed) + 1);
    for (const name of rest) {
      try {
        await setupBackend(name);
        await sanityCheck();
        this.backend = name;
        this.skipped = skippedBefore;
        if (this.source) await this.load(this.source, context);
        return this.report();
      } catch (error) {
        skippedBefore.push({ backend: name, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    throw new Error(`After ${reason}, no other backend could start.`);
  }
}

/** The webgl backend's context, when webgl is the active backend. */
function webglContext(): WebGL2RenderingContext | undefined {
  if (tf.getBackend() !== 'webgl') return undefined;
  return (tf.backend() as unknown as { gpgpu?: { gl?: WebGL2RenderingContext } }).gpgpu?.gl;
}

function webglContextLost(): boolean {
  return webglContext()?.isContextLost() === true;
}

/** A matmul with a known answer, read back asynchronously: catches backends that start but compute garbage. */
async function sanityCheck(): Promise<void> {
  const result = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])));
  const values = await result.data();
  result.dispose();
  const expected = [19, 22, 43, 50];
  if (expected.some((v, i) => Math.abs(values[i]! - v) > 1e-3)) {
    throw new Error(`it computed [${Array.from(values).join(', ')}] for a matmul whose answer is [19, 22, 43, 50]`);
  }
}
