// The page's side of the engine: one worker per page, shared by every widget, with typed requests,
// progress and token callbacks, and cancellation. If this browser cannot run tfjs in a worker, the same
// engine runs on the main thread behind a MessageChannel, and `inWorker` in the init report says so.
import type {
  BackendName,
  BackendReport,
  BenchResult,
  EngineRequests,
  EngineResults,
  FromEngine,
  GeneratedTokenMessage,
  LoadProgress,
  RequestType,
  ToEngine,
  TrainProgressMessage,
} from '../models/engine/protocol.ts';
import { BACKEND_LABELS } from './backends.ts';

export interface RequestHandlers {
  onProgress?: (progress: LoadProgress) => void;
  onToken?: (token: GeneratedTokenMessage) => void;
  onBenchRow?: (row: BenchResult, done: number, total: number) => void;
  onTrainProgress?: (progress: TrainProgressMessage) => void;
  /** Windows done of an analyzeRouting request. */
  onAnalyzeProgress?: (done: number, total: number) => void;
  /** Aborting cancels the request in the engine; the promise then settles with what the engine returns. */
  signal?: AbortSignal;
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  handlers: RequestHandlers;
}

interface Channel {
  post(message: ToEngine): void;
  listen(listener: (message: FromEngine) => void): void;
  /** Called once if the channel breaks (the worker's script fails to load or crashes). */
  onFailure(listener: (error: Error) => void): void;
}

async function workerChannel(): Promise<Channel> {
  const worker = new Worker(new URL('../models/engine/worker.ts', import.meta.url), { type: 'module' });
  return {
    post: (message) => worker.postMessage(message),
    listen: (listener) => worker.addEventListener('message', (event: MessageEvent<FromEngine>) => listener(event.data)),
    onFailure: (listener) =>
      worker.addEventListener('error', (event: ErrorEvent) => {
        event.preventDefault();
        listener(new Error(`The engine's Web Worker failed: ${event.message || 'its script could not load'}.`));
      }),
  };
}

async function mainThreadChannel(): Promise<Channel> {
  const [{ hostEngine }, { WASM_PATHS }] = await Promise.all([
    import('../models/engine/host.ts'),
    import('../models/engine/wasm-paths.ts'),
  ]);
  const channel = new MessageChannel();
  channel.port1.start();
  channel.port2.start();
  hostEngine(channel.port1 as unknown as Parameters<typeof hostEngine>[0], { inWorker: false, wasmPaths: WASM_PATHS });
  return {
    post: (message) => channel.port2.postMessage(message),
    listen: (listener) =>
      channel.port2.addEventListener('message', (event: MessageEvent<FromEngine>) => listener(event.data)),
    // Same thread: failures surface as exceptions in the page, not as a broken channel.
    onFailure: () => undefined,
  };
}

export class EngineClient {
  /** Set once the channel broke (the worker's script failed to load or crashed): use another client. */
  broken = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly channel: Channel;

  constructor(channel: Channel) {
    this.channel = channel;
    channel.listen((message) => this.receive(message));
    // A broken worker must not leave requests waiting forever: every one of them fails with the reason.
    channel.onFailure((error) => {
      this.broken = true;
      this.pending.forEach((pending) => pending.reject(error));
      this.pending.clear();
    });
  }

  private receive(message: FromEngine): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === 'progress') pending.handlers.onProgress?.(message.progress);
    else if (message.type === 'token') pending.handlers.onToken?.(message.token);
    else if (message.type === 'benchRow') pending.handlers.onBenchRow?.(message.row, message.done, message.total);
    else if (message.type === 'trainProgress') pending.handlers.onTrainProgress?.(message.progress);
    else if (message.type === 'analyzeProgress') pending.handlers.onAnalyzeProgress?.(message.done, message.total);
    else {
      this.pending.delete(message.id);
      if (message.type === 'result') pending.resolve(message.result);
      else pending.reject(new Error(message.message));
    }
  }

  request<T extends RequestType>(
    type: T,
    payload: EngineRequests[T],
    handlers: RequestHandlers = {},
  ): Promise<EngineResults[T]> {
    return this.steerable(type, payload, handlers).result;
  }

  /** A request that can be paused and resumed while it runs (training). */
  steerable<T extends RequestType>(
    type: T,
    payload: EngineRequests[T],
    handlers: RequestHandlers = {},
  ): { result: Promise<EngineResults[T]>; pause(): void; resume(): void } {
    const id = this.nextId;
    return {
      result: this.send(type, payload, handlers),
      pause: () => this.channel.post({ id, type: 'pause' }),
      resume: () => this.channel.post({ id, type: 'resume' }),
    };
  }

  private send<T extends RequestType>(
    type: T,
    payload: EngineRequests[T],
    handlers: RequestHandlers,
  ): Promise<EngineResults[T]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject, handlers });
      handlers.signal?.addEventListener('abort', () => this.channel.post({ id, type: 'cancel' }), { once: true });
      this.channel.post({ id, type, payload } as ToEngine);
    });
  }
}

export interface StartedEngine {
  client: EngineClient;
  backend: BackendReport;
  /** Set when the reader's chosen backend could not start and the engine runs on another one. */
  fallbackNote: string;
}

let pageClient: Promise<EngineClient> | null = null;

/** The page's one engine client: in a Web Worker, or on the main thread once the worker proved broken. */
function engineClient(afterBrokenWorker = false): Promise<EngineClient> {
  if (!pageClient || afterBrokenWorker) {
    pageClient = afterBrokenWorker
      ? mainThreadChannel().then((channel) => new EngineClient(channel))
      : workerChannel().then((channel) => new EngineClient(channel));
    // `npm run bench:browser` asks the page's engine for figures no widget shows (?engine-hook in the URL).
    if (new URLSearchParams(location.search).has('engine-hook')) {
      void pageClient.then((client) => ((globalThis as { moeLabEngine?: EngineClient }).moeLabEngine = client));
    }
  }
  return pageClient;
}

/**
 * An engine of its own, in a worker of its own, for a part of the page that must not swap the model
 * the widgets have loaded (the quiz measuring its answers).
 */
export async function privateEngine(): Promise<EngineClient> {
  return new EngineClient(await workerChannel());
}

/** Starts the page's engine on `backend` ('auto' tries WebGPU, WebGL, WASM, CPU in turn). */
async function startOn(
  backend: EngineRequests['init']['backend'],
): Promise<{ client: EngineClient; backend: BackendReport }> {
  const client = await engineClient();
  try {
    return { client, backend: await client.request('init', { backend }) };
  } catch (error) {
    // A backend that cannot start is the engine's answer; a worker that cannot run is the channel's.
    if (!client.broken) throw error;
    console.warn('The engine could not run in a Web Worker; running it on the main thread.', error);
    const fallback = await engineClient(true);
    return { client: fallback, backend: await fallback.request('init', { backend }) };
  }
}

/**
 * The page's engine, shared by every widget, started on the reader's choice of backend; if that one
 * cannot start here, on the best one that can, saying why. Throws only when no backend starts at all.
 */
export async function startEngine(choice: EngineRequests['init']['backend']): Promise<StartedEngine> {
  try {
    return { ...(await startOn(choice)), fallbackNote: '' };
  } catch (error) {
    if (choice === 'auto') throw error;
    const reason = error instanceof Error ? error.message : String(error);
    const started = await startOn('auto');
    return { ...started, fallbackNote: fallbackNote(choice, started.backend.backend, reason) };
  }
}

/** What happened when the reader's backend could not start: "WebGPU is not available here: running on WebGL." */
export function fallbackNote(chosen: BackendName, running: BackendName, reason: string): string {
  return `${BACKEND_LABELS[chosen]} is not available here: running on ${BACKEND_LABELS[running]}. (${reason})`;
}
