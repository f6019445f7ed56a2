// The page's side of a notebook run: answers the guest's calls (connect.ts) through the page's engine
// (components/engine-client.ts), one session per run. Only the methods in LAB_METHODS are answered; every
// argument is checked here, with a sentence naming the call, before anything reaches the engine (which
// checks again). Models are held in the engine under ids of this session's own, so two runs (or a run
// and a widget) never touch each other's; `close()` cancels what runs and frees every model the run made.
import type {
  CheckpointSource,
  EngineRequests,
  EngineResults,
  GeneratedTokenMessage,
  LayerRoutingReport,
  LoadProgress,
  RequestType,
  TrainProgressMessage,
  TrainRunSpec,
} from '../../models/engine/protocol.ts';
import { checkpointFilesFromZip } from '../../models/checkpoint/checkpoint-zip.ts';
import { DEFAULT_TRAIN_RUN, type TrainRun } from '../../models/training/train-config.ts';
import type { CheckpointInfo, GeneratedStep, LayerRouting, Routed, TrainProgress } from './api.ts';
import { LAB_METHODS, type LabMethod, type ModelDescriptor, type ToGuest, type ToPage } from './messages.ts';
import { describe, finiteNumber, optional, options, text, wholeNumber } from './validate.ts';

/** The part of components/engine-client.ts's EngineClient a session uses. */
export interface LabEngine {
  request<T extends RequestType>(
    type: T,
    payload: EngineRequests[T],
    handlers?: {
      onProgress?: (progress: LoadProgress) => void;
      onToken?: (token: GeneratedTokenMessage) => void;
      onTrainProgress?: (progress: TrainProgressMessage) => void;
      signal?: AbortSignal;
    },
  ): Promise<EngineResults[T]>;
  steerable<T extends RequestType>(
    type: T,
    payload: EngineRequests[T],
    handlers?: { onTrainProgress?: (progress: TrainProgressMessage) => void; signal?: AbortSignal },
  ): { result: Promise<EngineResults[T]>; pause(): void; resume(): void };
}

/** What the page offers a notebook: the shipped checkpoints' files, and the token data training reads. */
export interface LabSources {
  checkpoints: readonly (CheckpointInfo & { files: Record<string, string> })[];
  /** manifest.json, train.bin, validation.bin → URL (models/data/). */
  data: Record<string, string>;
  /** URL of the tokenizer.json the token data was made with. */
  tokenizer: string;
}

/** The part of a MessagePort the page uses. */
export interface PagePort {
  postMessage(message: ToGuest, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<unknown>) => void): void;
  start?(): void;
  close?(): void;
}

export interface LabSession {
  /** Cancels every running call, frees every model this run made in the engine, and closes the port. */
  close(): Promise<void>;
  readonly closed: boolean;
}

export interface ServeOptions {
  /** Models one run may hold at once (default 8): each is megabytes in the engine. */
  maxModels?: number;
}

/** Longest text a cell may route, score or use as a prompt, in characters (the Lab routes ≤ 1,023 tokens). */
export const MAX_TEXT_CHARS = 20_000;
/** Most K values one heldOutLoss call scores. */
const MAX_KS = 64;
/** Longest run name. */
const MAX_NAME = 40;

let sessionCount = 0;

/** Typed arrays, as the Lab gives them: the engine's message carries plain arrays. */
function layerRouting(layer: LayerRoutingReport): LayerRouting {
  const numExperts = layer.expertTokens.length;
  const rows = numExperts === 0 ? 0 : layer.probs.length / numExperts;
  const expertMeanProb = new Float32Array(numExperts);
  for (let t = 0; t < rows; t++)
    for (let e = 0; e < numExperts; e++) expertMeanProb[e]! += layer.probs[t * numExperts + e]!;
  for (let e = 0; e < numExperts; e++) expertMeanProb[e]! /= Math.max(rows, 1);
  return {
    expertIndex: Int32Array.from(layer.expertIndex),
    gateWeights: Float32Array.from(layer.gateWeights),
    expertTokens: Int32Array.from(layer.expertTokens),
    expertMeanProb,
    probs: Float32Array.from(layer.probs),
  };
}

const TRAIN_KEYS = ['name', 'model', 'routing', 'schedule', 'steps', 'batch', 'seqLen', 'seed', 'data'] as const;

/**
 * Answers one notebook run's calls arriving on `port` until `close()`.
 * @example
 * const session = serveLab(channel.port1, engineClient, pageLabSources());
 * // … the guest calls connectLab(channel.port2) …
 * await session.close();
 */
export function serveLab(
  port: PagePort,
  engine: LabEngine,
  sources: LabSources,
  serveOptions: ServeOptions = {},
): LabSession {
  const maxModels = serveOptions.maxModels ?? 8;
  const prefix = `notebook-${++sessionCount}-${Date.now().toString(36)}:`;
  /** Live models by handle. */
  const models = new Map<string, ModelDescriptor>();
  /** Every engine id this session may have created, freed at close (a model kept just before is caught too). */
  const owned = new Set<string>();
  const disposed = new Set<string>();
  const running = new Map<
    number,
    { abort: AbortController; pause?: () => void; resume?: () => void; done: Promise<void> }
  >();
  let nextModel = 1;
  let closed = false;

  const post = (message: ToGuest, transfer: Transferable[] = []): void => {
    if (!closed) port.postMessage(message, transfer);
  };

  function model(call: string, handle: unknown): ModelDescriptor {
    if (typeof handle === 'string' && disposed.has(handle)) {
      throw new Error(`${call}: this model was disposed (model.dispose()); load or train it again.`);
    }
    const found = typeof handle === 'string' ? models.get(handle) : undefined;
    if (!found)
      throw new Error(`${call}: that is not a model of this run; get one from lab.load or a training's result.`);
    return found;
  }

  function roomForModels(call: string, more: number): void {
    if (models.size + more > maxModels) {
      throw new Error(
        `${call}: this run already holds ${models.size} models (at most ${maxModels} at once); free one with model.dispose() first.`,
      );
    }
  }

  function newHandle(): string {
    const handle = `${prefix}m${nextModel++}`;
    owned.add(handle);
    return handle;
  }

  function checkpointOf(call: string, id: unknown): (typeof sources.checkpoints)[number] {
    const found = typeof id === 'string' ? sources.checkpoints.find((c) => c.id === id) : undefined;
    if (!found) {
      throw new Error(
        `${call}: there is no checkpoint ${describe(id)}; the shipped ones are ${sources.checkpoints.map((c) => `"${c.id}"`).join(', ')}.`,
      );
    }
    return found;
  }

  const k = (call: string, value: unknown, m: ModelDescriptor): number =>
    optional(value, Number(m.config.num_experts_per_tok), (v) =>
      wholeNumber(call, 'k', v, 1, Number(m.config.num_local_experts)),
    );

  function trainRun(call: string, input: unknown, index: number): { name: string; spec: TrainRunSpec } {
    const o = options(call, `run ${index + 1}`, input ?? {}, TRAIN_KEYS);
    const name = optional(o.name, index === 0 ? 'run' : `run-${index + 1}`, (v) => text(call, 'name', v, MAX_NAME));
    const sub = (key: 'routing' | 'schedule' | 'data'): Record<string, unknown> => {
      const value = o[key];
      if (value === undefined) return {};
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new TypeError(`${call}: ${key} must be an object; got ${describe(value)}.`);
      }
      return value as Record<string, unknown>;
    };
    const modelInput = o.model === undefined ? {} : (o.model as Record<string, unknown>);
    if (typeof modelInput !== 'object' || modelInput === null) {
      throw new TypeError(`${call}: model must be an object; got ${describe(o.model)}.`);
    }
    let checkpoint: CheckpointSource | undefined;
    let modelSettings: TrainRun['model'];
    if (modelInput.from === 'checkpoint') {
      const entry = checkpointOf(call, modelInput.checkpoint);
      checkpoint = { id: entry.id, files: entry.files };
      modelSettings = { from: 'checkpoint', checkpoint: entry.id };
    } else {
      modelSettings = { ...DEFAULT_TRAIN_RUN.model, ...modelInput, from: 'fresh' } as TrainRun['model'];
    }
    // The engine's validateTrainRun checks every value and answers with sentences; unknown keys included.
    const run = {
      ...DEFAULT_TRAIN_RUN,
      ...o,
      model: modelSettings,
      routing: { ...DEFAULT_TRAIN_RUN.routing, ...sub('routing') },
      schedule: { ...DEFAULT_TRAIN_RUN.schedule, ...sub('schedule') },
      data: { ...DEFAULT_TRAIN_RUN.data, ...sub('data') },
    } as Record<string, unknown>;
    delete run.name;
    const id = `${prefix}${name}`;
    owned.add(id);
    return { name, spec: { id, run, ...(checkpoint ? { checkpoint } : {}) } };
  }

  type Handler = (args: unknown[], context: CallContext) => Promise<unknown>;
  interface CallContext {
    signal: AbortSignal;
    stream(value: unknown): void;
    steer(pause: () => void, resume: () => void): void;
  }

  const handlers: Record<LabMethod, Handler> = {
    async checkpoints() {
      return sources.checkpoints.map(({ id, label, numExperts, trainedTopK, downloadBytes }) => ({
        id,
        label,
        numExperts,
        trainedTopK,
        downloadBytes,
      }));
    },

    async load([id], { signal }) {
      const call = 'lab.load(checkpoint)';
      const entry = checkpointOf(call, id);
      roomForModels(call, 1);
      const handle = newHandle();
      const kept = await engine.request(
        'keep',
        { id: handle, checkpoint: { id: entry.id, files: entry.files } },
        { signal },
      );
      const descriptor: ModelDescriptor = { handle, name: entry.id, config: kept.config, notes: kept.notes };
      models.set(handle, descriptor);
      return descriptor;
    },

    async route([handle, input, opts], { signal }) {
      const call = 'model.route(text, options)';
      const m = model(call, handle);
      const textIn = text(call, 'text', input, MAX_TEXT_CHARS);
      const o = options(call, 'options', opts, ['k']);
      const topK = k(call, o.k, m);
      const r = await engine.request('route', { text: textIn, topK, model: m.handle }, { signal });
      const routed: Routed = {
        tokens: r.tokens,
        topK: r.topK,
        numExperts: r.numExperts,
        layers: r.layers.map(layerRouting),
        ms: r.timings.prefillMs,
      };
      return routed;
    },

    async generate([handle, prompt, opts], { signal, stream }) {
      const call = 'model.generate(prompt, options)';
      const m = model(call, handle);
      const promptIn = text(call, 'prompt', prompt, MAX_TEXT_CHARS);
      const o = options(call, 'options', opts, ['maxNewTokens', 'temperature', 'topP', 'seed', 'k']);
      const context = Number(m.config.max_position_embeddings);
      const request: EngineRequests['generate'] = {
        prompt: promptIn,
        maxNewTokens: optional(o.maxNewTokens, 40, (v) => wholeNumber(call, 'maxNewTokens', v, 0, context)),
        temperature: optional(o.temperature, 0.8, (v) => finiteNumber(call, 'temperature', v, 0, 100)),
        topP: optional(o.topP, 0.95, (v) => finiteNumber(call, 'topP', v, 0, 1)),
        seed: optional(o.seed, 0, (v) => wholeNumber(call, 'seed', v, 0, 2 ** 32 - 1)),
        topK: k(call, o.k, m),
        model: m.handle,
      };
      const result = await engine.request('generate', request, {
        signal,
        onToken: (t) => {
          const step: GeneratedStep = {
            id: t.token.id,
            text: t.token.text,
            continuation: t.text,
            routing: t.layers.map(layerRouting),
            ms: t.ms,
          };
          stream(step);
        },
      });
      return { tokens: result.tokens, cancelled: result.cancelled };
    },

    async heldOutLoss([handle, input, ks], { signal }) {
      const call = 'model.heldOutLoss(text, ks)';
      const m = model(call, handle);
      const textIn = text(call, 'text', input, MAX_TEXT_CHARS);
      if (!Array.isArray(ks) || ks.length === 0 || ks.length > MAX_KS) {
        throw new RangeError(`${call}: ks must be an array of 1 to ${MAX_KS} values of K; got ${describe(ks)}.`);
      }
      const topKs = ks.map((v) => wholeNumber(call, 'each K', v, 1, Number(m.config.num_local_experts)));
      const points = await engine.request('heldOutLoss', { text: textIn, topKs, model: m.handle }, { signal });
      return points.map(({ topK, loss, perplexity, tokens }) => ({ k: topK, loss, perplexity, tokens }));
    },

    async decodeSpeed([handle, prompt, opts], { signal }) {
      const call = 'model.decodeSpeed(prompt, options)';
      const m = model(call, handle);
      const promptIn = text(call, 'prompt', prompt, MAX_TEXT_CHARS);
      const o = options(call, 'options', opts, ['tokens', 'k']);
      const context = Number(m.config.max_position_embeddings);
      const tokens = wholeNumber(call, 'tokens', o.tokens, 2, context);
      return engine.request(
        'decodeSpeed',
        { prompt: promptIn, tokens, topK: k(call, o.k, m), model: m.handle },
        { signal },
      );
    },

    async memory([handle]) {
      const m = model('model.memory()', handle);
      return engine.request('memory', { model: m.handle });
    },

    async save([handle]) {
      const m = model('model.save()', handle);
      const zip = await engine.request('exportTrained', { run: m.handle });
      return checkpointFilesFromZip(zip);
    },

    async exportZip([handle]) {
      const m = model('model.exportZip()', handle);
      return engine.request('exportTrained', { run: m.handle });
    },

    async dispose([handle]) {
      const m = model('model.dispose()', handle);
      models.delete(m.handle);
      disposed.add(m.handle);
      await engine.request('forget', { ids: [m.handle] });
      return undefined;
    },

    async train([runsIn, opts], { signal, stream, steer }) {
      const call = 'lab.train(runs, options)';
      const list = Array.isArray(runsIn) ? runsIn : [runsIn];
      if (list.length < 1 || list.length > 4) {
        throw new RangeError(`${call}: give one run, or an array of up to four to race; got ${list.length}.`);
      }
      const runs = list.map((r, i) => trainRun(call, r, i));
      const names = runs.map((r) => r.name);
      if (new Set(names).size !== names.length) throw new Error(`${call}: each run of a race needs its own name.`);
      roomForModels(call, runs.length);
      const nameOf = new Map(runs.map((r) => [r.spec.id, r.name]));
      const o = options(call, 'options', opts, ['evalEvery', 'evalWindows']);
      const stepsOf = (run: unknown): number => {
        const steps = (run as { steps?: unknown }).steps;
        return typeof steps === 'number' && Number.isFinite(steps) && steps > 0 ? steps : 1;
      };
      const steps = Math.max(...runs.map((r) => stepsOf(r.spec.run)));
      const request: EngineRequests['train'] = {
        runs: runs.map((r) => r.spec),
        data: sources.data,
        tokenizer: sources.tokenizer,
        evalEvery: optional(o.evalEvery, Math.max(1, Math.round(steps / 10)), (v) =>
          wholeNumber(call, 'evalEvery', v, 1, 100_000),
        ),
        evalWindows: optional(o.evalWindows, 8, (v) => wholeNumber(call, 'evalWindows', v, 1, 64)),
      };
      const steering = engine.steerable('train', request, {
        signal,
        onTrainProgress: (p) => {
          const progress: TrainProgress = { ...p, run: nameOf.get(p.run) ?? p.run };
          stream(progress);
        },
      });
      steer(steering.pause, steering.resume);
      const result = await steering.result;
      const reports = [];
      for (const run of result.runs) {
        let descriptor: ModelDescriptor | null = null;
        if (run.checkpoint) {
          // A run that failed returns its last snapshot as a zip only: keep that one too, so it can be used.
          if (run.fromSnapshot) await engine.request('importTrained', { run: run.id, bytes: run.checkpoint });
          const files = await checkpointFilesFromZip(run.checkpoint);
          const config = JSON.parse(new TextDecoder().decode(files.get('config.json'))) as Record<string, unknown>;
          descriptor = { handle: run.id, name: nameOf.get(run.id) ?? run.id, config, notes: [] };
          models.set(run.id, descriptor);
        }
        reports.push({
          name: nameOf.get(run.id) ?? run.id,
          stepsDone: run.stepsDone,
          steps: run.steps,
          loss: run.loss,
          valLoss: run.valLoss,
          msPerStep: run.msPerStep,
          tokensPerSecond: run.tokensPerSecond,
          totalParams: run.totalParams,
          activeParams: run.activeParams,
          model: descriptor,
          error: run.error,
        });
      }
      return { runs: reports, cancelled: result.cancelled, error: result.error };
    },
  };

  function answer(id: number, method: string, args: unknown): void {
    if (closed) return;
    const abort = new AbortController();
    const entry: { abort: AbortController; pause?: () => void; resume?: () => void; done: Promise<void> } = {
      abort,
      done: Promise.resolve(),
    };
    running.set(id, entry);
    entry.done = (async () => {
      try {
        if (!(LAB_METHODS as readonly string[]).includes(method)) {
          throw new Error(
            `"${method.slice(0, 40)}" is not something a notebook can call; the lab answers ${LAB_METHODS.join(', ')}.`,
          );
        }
        if (!Array.isArray(args)) throw new TypeError(`The arguments of ${method} must come as a list.`);
        const value = await handlers[method as LabMethod](args, {
          signal: abort.signal,
          stream: (v) => post({ id, kind: 'stream', value: v }),
          steer: (pause, resume) => Object.assign(entry, { pause, resume }),
        });
        post({ id, kind: 'result', value }, value instanceof Uint8Array ? [value.buffer] : []);
      } catch (error) {
        post({ id, kind: 'error', message: error instanceof Error ? error.message : String(error) });
      } finally {
        running.delete(id);
      }
    })();
  }

  port.addEventListener('message', (event) => {
    const message = event.data as Partial<ToPage> | null;
    // Anything that is not a message of ours is dropped: the guest runs a reader's code.
    if (typeof message !== 'object' || message === null || typeof message.id !== 'number') return;
    if (message.kind === 'call') {
      const call = message as Extract<ToPage, { kind: 'call' }>;
      answer(call.id, String(call.method), call.args);
    } else if (message.kind === 'cancel') running.get(message.id)?.abort.abort();
    else if (message.kind === 'pause') running.get(message.id)?.pause?.();
    else if (message.kind === 'resume') running.get(message.id)?.resume?.();
  });
  port.start?.();

  return {
    get closed() {
      return closed;
    },
    async close() {
      if (closed) return;
      closed = true;
      const calls = [...running.values()];
      calls.forEach((c) => c.abort.abort());
      await Promise.allSettled(calls.map((c) => c.done));
      models.clear();
      // Requests run in order in the engine: this comes after every cancelled one has stopped.
      // A run that never made a model need not wake the engine (a lazily started one would load tfjs for it).
      if (owned.size > 0) await engine.request('forget', { ids: [...owned] }).catch(() => undefined);
      port.close?.();
    },
  };
}
