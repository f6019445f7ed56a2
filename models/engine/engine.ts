// The inference engine behind the live widgets: a message adapter over the Lab (models/lab.ts). It picks
// and checks a tfjs backend, downloads a checkpoint through the offline cache with progress, and turns
// route, generate and held-out-loss requests into Lab calls, their results into protocol messages. It has
// no DOM and no knowledge of workers: models/engine/worker.ts connects it to a Web Worker,
// components/engine-client.ts to a page.
import * as tf from '@tensorflow/tfjs-core';
import { benchmarkCase, type BenchResult } from '../accounting/bench.ts';
import { Lab } from '../lab.ts';
import type { LayerRouting } from '../nn/transformer.ts';
import { setupBackend } from '../runtime/backend.ts';
import { TrainingDesk } from './train-request.ts';
import { documentWindows, type AnalysisDocument } from '../moe/analyze-windows.ts';
import { readAnalysisData } from '../text/analysis-data.ts';
import { nextTask } from '../training/trainer.ts';
import {
  BACKEND_PREFERENCE,
  type BackendName,
  type BackendReport,
  type CheckpointSource,
  type EngineRequests,
  type EngineResults,
  type GeneratedTokenMessage,
  type KeptModel,
  type LayerRoutingReport,
  type LoadProgress,
  type LossPoint,
  type MemoryReport,
  type ModelInfo,
  type RequestType,
  type TrainProgressMessage,
} from './protocol.ts';

/** What a request handler can tell its caller while it runs. */
export interface RequestContext {
  progress(progress: LoadProgress): void;
  token(token: GeneratedTokenMessage): void;
  benchRow(row: BenchResult, done: number, total: number): void;
  /** True once the page has cancelled this request. */
  cancelled(): boolean;
  /** A training run's progress (train requests only). */
  trainProgress?(progress: TrainProgressMessage): void;
  /** True while the page has paused this request (train requests only). */
  paused?(): boolean;
  /** Windows done of an analyzeRouting request. */
  analyzeProgress?(done: number, total: number): void;
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
  lab: Lab;
  info: ModelInfo;
}

/** Typed arrays → plain arrays for the message (the page reads them as JSON-like data). */
function routingReport(routing: LayerRouting[] | null): LayerRoutingReport[] {
  return (routing ?? []).map((layer) => ({
    expertIndex: Array.from(layer.expertIndex),
    gateWeights: Array.from(layer.gateWeights),
    probs: Array.from(layer.probs),
    expertTokens: Array.from(layer.expertTokens),
    dropped: Array.from(layer.dropped),
  }));
}

export class Engine {
  private backend: BackendName | null = null;
  private skipped: BackendReport['skipped'] = [];
  private loaded: Loaded | null = null;
  /** The checkpoint last asked for, so a recovered engine can load it again by itself. */
  private source: CheckpointSource | null = null;
  private readonly env: EngineEnvironment;
  private readonly desk = new TrainingDesk();
  /** The test split for analyzeRouting, fetched and verified once per set of URLs. */
  private analysisData: { key: string; value: Promise<AnalysisDocument[]> } | null = null;

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
        const { text, topK, capacityFactor, model } = payload as EngineRequests['route'];
        return (await this.route(text, topK, capacityFactor, model)) as EngineResults[T];
      }
      case 'generate':
        return (await this.generate(payload as EngineRequests['generate'], context)) as EngineResults[T];
      case 'heldOutLoss': {
        const { text, topKs, capacityFactor, model } = payload as EngineRequests['heldOutLoss'];
        return (await this.heldOutLoss(text, topKs, context, capacityFactor, model)) as EngineResults[T];
      }
      case 'memory':
        return this.memory((payload as EngineRequests['memory'] | undefined)?.model) as EngineResults[T];
      case 'benchmark':
        return (await this.benchmark((payload as EngineRequests['benchmark']).cases, context)) as EngineResults[T];
      case 'decodeSpeed': {
        const { prompt, tokens, topK, model } = payload as EngineRequests['decodeSpeed'];
        return (await this.labFor(model).decodeSpeed(prompt, { tokens, k: topK })) as EngineResults[T];
      }
      case 'loseContext':
        return (await this.loseContext(context)) as EngineResults[T];
      case 'train':
        return (await this.train(payload as EngineRequests['train'], context)) as EngineResults[T];
      case 'trainedLogits': {
        const { run, ids } = payload as EngineRequests['trainedLogits'];
        return (await this.desk.logits(run, ids)) as EngineResults[T];
      }
      case 'routeTrained': {
        const { run, text } = payload as EngineRequests['routeTrained'];
        return (await this.desk.routeTrained(run, text)) as EngineResults[T];
      }
      case 'exportTrained':
        return (await this.desk.exportZip((payload as EngineRequests['exportTrained']).run)) as EngineResults[T];
      case 'importTrained': {
        const { run, bytes } = payload as EngineRequests['importTrained'];
        return (await this.desk.importZip(run, bytes)) as EngineResults[T];
      }
      case 'analyzeRouting':
        return (await this.analyzeRouting(payload as EngineRequests['analyzeRouting'], context)) as EngineResults[T];
      case 'keep': {
        const { id, checkpoint } = payload as EngineRequests['keep'];
        return (await this.keep(id, checkpoint, context)) as EngineResults[T];
      }
      case 'forget': {
        const { ids } = payload as EngineRequests['forget'];
        if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
          throw new Error('Say which kept models to free, by their ids.');
        }
        return { freed: this.desk.forget(ids) } as EngineResults[T];
      }
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
    await loaded.lab.moveToActiveBackend();
    return { ...loaded, info: { ...loaded.info, backend: this.backend! } };
  }

  private requireModel(): Loaded {
    if (!this.loaded) throw new Error('No checkpoint is loaded yet.');
    return this.loaded;
  }

  /** The kept model `id` when given, else the loaded one. */
  private labFor(id: string | undefined): Lab {
    return id === undefined ? this.requireModel().lab : this.desk.lab(id);
  }

  /** Downloads a checkpoint's files (through the offline cache), reporting progress. */
  private async download(
    source: CheckpointSource,
    context: RequestContext,
  ): Promise<{ files: Map<string, Uint8Array>; downloaded: number; fromCache: boolean }> {
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
    return { files, downloaded, fromCache };
  }

  /** Loads and verifies a checkpoint's files; a file that fails is dropped from the offline cache. */
  private async verified(source: CheckpointSource, files: Map<string, Uint8Array>): Promise<Lab> {
    let lab: Lab;
    try {
      lab = await Lab.load(files);
    } catch (error) {
      // A corrupted file must not stay in the offline cache, or every retry would fail the same way.
      await Promise.all(Object.values(source.files).map((url) => this.env.forgetFile?.(url)));
      throw new Error(
        `The checkpoint "${source.id}" could not be used: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (!lab.hasTokenizer) {
      lab.dispose();
      throw new Error(`The checkpoint "${source.id}" has no tokenizer.json.`);
    }
    return lab;
  }

  async load(source: CheckpointSource, context: RequestContext): Promise<ModelInfo> {
    if (!this.backend) await this.init('auto');
    this.source = source;
    const { files, downloaded, fromCache } = await this.download(source, context);
    context.progress({ phase: 'verify', loaded: 0, total: 1 });
    const lab = await this.verified(source, files);
    context.progress({ phase: 'convert', loaded: 0, total: 1 });
    if (this.loaded) this.loaded.lab.dispose();
    const { config } = lab;
    const params = lab.parameters();
    const info: ModelInfo = {
      checkpoint: source.id,
      numLayers: config.num_hidden_layers,
      numExperts: config.num_local_experts,
      trainedTopK: config.num_experts_per_tok,
      hiddenSize: config.hidden_size,
      vocabSize: config.vocab_size,
      contextSize: config.max_position_embeddings,
      totalParams: params.total,
      activeParams: params.active,
      downloadBytes: downloaded,
      fromCache,
      notes: lab.notes,
      backend: this.backend!,
    };
    this.loaded = { lab, info };
    // One throwaway pass: compiles the GPU kernels now rather than inside the reader's first timing, and
    // proves the model runs on this backend (a failure here is caught like any other backend failure).
    await this.route(' ', config.num_experts_per_tok);
    context.progress({ phase: 'convert', loaded: 1, total: 1 });
    return info;
  }

  /** Loads a checkpoint as a kept model (replacing one kept under the same id); the loaded model stays. */
  async keep(id: string, source: CheckpointSource, context: RequestContext): Promise<KeptModel> {
    if (typeof id !== 'string' || id === '') throw new Error('A kept model needs an id.');
    if (!this.backend) await this.init('auto');
    const { files, downloaded, fromCache } = await this.download(source, context);
    const lab = await this.verified(source, files);
    this.desk.keep(id, lab);
    return { id, config: { ...lab.config }, notes: lab.notes, downloadBytes: downloaded, fromCache };
  }

  async route(
    text: string,
    topK: number,
    capacityFactor?: number | null,
    model?: string,
  ): Promise<EngineResults['route']> {
    const lab = this.labFor(model);
    const routed = await lab.route(text, { k: topK, capacityFactor });
    const tokens = routed.tokens.length;
    return {
      tokens: routed.tokens,
      topK,
      numExperts: routed.numExperts,
      layers: routingReport(routed.layers),
      timings: { prefillMs: routed.ms, msPerToken: 0, tokensPerSecond: (tokens / routed.ms) * 1000 },
      activeParams: lab.parameters(topK).active,
      // Each token attends to at most one context of text before it (longer text is read in windows).
      flopsPerToken: lab.flopsPerToken(topK, Math.min(tokens, lab.config.max_position_embeddings)).total,
      memory: this.memory(model),
    };
  }

  async generate(request: EngineRequests['generate'], context: RequestContext): Promise<EngineResults['generate']> {
    const lab = this.labFor(request.model);
    let count = 0;
    let text = '';
    let prefillMs = 0;
    let decodeMs = 0;
    let cancelled = false;
    for await (const step of lab.generate(request.prompt, {
      maxNewTokens: request.maxNewTokens,
      temperature: request.temperature,
      topP: request.topP,
      seed: request.seed,
      k: request.topK,
    })) {
      if (count === 0) prefillMs = step.ms;
      else decodeMs += step.ms;
      count++;
      text = step.continuation;
      context.token({
        token: { id: step.id, text: step.text },
        text,
        layers: routingReport(step.routing),
        ms: step.ms,
      });
      if (context.cancelled()) {
        cancelled = true;
        break;
      }
      // Let the cancel message in: the loop would otherwise hold the worker's event loop. setTimeout, not
      // nextTask(): its ≥ 4 ms clamp also paces the tokens to what the page can draw (the lesson-3 widget
      // re-renders every strip per token, and an unpaced stream gave it 88 ms main-thread tasks).
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const decoded = Math.max(count - 1, 0);
    const msPerToken = decoded > 0 ? decodeMs / decoded : 0;
    return {
      text,
      tokens: count,
      timings: { prefillMs, msPerToken, tokensPerSecond: msPerToken > 0 ? 1000 / msPerToken : 0 },
      memory: this.memory(request.model),
      cancelled,
    };
  }

  /** Mean next-token loss of `text` for each K: how much quality routing to fewer experts costs. */
  async heldOutLoss(
    text: string,
    topKs: number[],
    context: RequestContext,
    capacityFactor?: number | null,
    model?: string,
  ): Promise<LossPoint[]> {
    const lab = this.labFor(model);
    const points = await lab.heldOutLoss(text, topKs, {
      capacityFactor,
      signal: {
        get aborted() {
          return context.cancelled();
        },
      },
    });
    return points.map(({ k, loss, perplexity, tokens }) => ({ topK: k, loss, perplexity, tokens }));
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

  /** The loaded model's routing analysis on the shipped test split, batch by batch, cancellable. */
  async analyzeRouting(
    request: EngineRequests['analyzeRouting'],
    context: RequestContext,
  ): Promise<EngineResults['analyzeRouting']> {
    const { lab, info } = this.requireModel();
    const perDoc = request.windowsPerDoc;
    if (!Number.isInteger(perDoc) || perDoc < 0 || perDoc > 1000) {
      throw new Error(`Windows per document must be a whole number from 0 (all) to 1000; got ${String(perDoc)}.`);
    }
    const documents = await this.testDocuments(request.data);
    const seq = lab.config.max_position_embeddings;
    const windows = documentWindows(documents, seq, perDoc);
    const started = performance.now();
    const result = await lab.analyzeRouting(windows, {
      k: request.topK,
      batch: request.batch,
      onProgress: (done, total) => context.analyzeProgress?.(done, total),
      cancelled: () => context.cancelled(),
      between: nextTask,
    });
    return {
      checkpoint: info.checkpoint,
      ...result,
      totalWindows: windows.length,
      seq,
      ms: performance.now() - started,
    };
  }

  private testDocuments(urls: Record<string, string>): Promise<AnalysisDocument[]> {
    const key = JSON.stringify(urls);
    if (this.analysisData?.key !== key) {
      const value = (async () => {
        const files = new Map<string, Uint8Array>();
        for (const [name, url] of Object.entries(urls)) files.set(name, (await this.env.fetchFile(url)).body);
        try {
          return (await readAnalysisData(files)).documents;
        } catch (error) {
          // A corrupted file must not stay cached, or the reload the message asks for would fail the same way.
          await Promise.all(Object.values(urls).map((url) => this.env.forgetFile?.(url)));
          throw error;
        }
      })();
      this.analysisData = { key, value };
      value.catch(() => (this.analysisData = null));
    }
    return this.analysisData.value;
  }

  /** Trains on the running backend (see train-request.ts); the inference model, if any, stays loaded. */
  async train(request: EngineRequests['train'], context: RequestContext): Promise<EngineResults['train']> {
    if (!this.backend) await this.init('auto');
    return this.desk.train(request, {
      fetchFile: this.env.fetchFile,
      forgetFile: this.env.forgetFile,
      trainProgress: (p) => context.trainProgress?.(p),
      cancelled: () => context.cancelled(),
      paused: () => context.paused?.() ?? false,
    });
  }

  memory(model?: string): MemoryReport {
    if (model !== undefined) return this.desk.lab(model).memory();
    if (this.loaded) return this.loaded.lab.memory();
    const memory = tf.memory();
    return { numTensors: memory.numTensors, numBytes: memory.numBytes, weightBytes: 0, kvCacheBytes: 0 };
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
      // Lab.dispose tolerates a lost context, whose textures are gone with it anyway.
      this.loaded.lab.dispose();
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
