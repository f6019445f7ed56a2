// The page's side of the engine: one worker per page, shared by every widget, with typed requests,
// progress and token callbacks, and cancellation. If this browser cannot run tfjs in a worker, the same
// engine runs on the main thread behind a MessageChannel, and `inWorker` in the init report says so.
import type {
  BackendReport,
  BenchResult,
  EngineRequests,
  EngineResults,
  FromEngine,
  GeneratedTokenMessage,
  LoadProgress,
  RequestType,
  ToEngine,
} from '../models/engine/protocol.ts';

export interface RequestHandlers {
  onProgress?: (progress: LoadProgress) => void;
  onToken?: (token: GeneratedTokenMessage) => void;
  onBenchRow?: (row: BenchResult, done: number, total: number) => void;
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
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly channel: Channel;

  constructor(channel: Channel) {
    this.channel = channel;
    channel.listen((message) => this.receive(message));
    // A broken worker must not leave requests waiting forever: every one of them fails with the reason.
    channel.onFailure((error) => {
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
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject, handlers });
      handlers.signal?.addEventListener('abort', () => this.channel.post({ id, type: 'cancel' }), { once: true });
      this.channel.post({ id, type, payload } as ToEngine);
    });
  }
}

let shared: Promise<{ client: EngineClient; backend: BackendReport }> | null = null;
let sharedChoice: string | null = null;

/**
 * The page's engine, started on `backend` ('auto' tries WebGPU, WebGL, WASM, CPU in turn). Asking again
 * with another backend restarts the same engine on it.
 */
export function startEngine(
  backend: EngineRequests['init']['backend'],
): Promise<{ client: EngineClient; backend: BackendReport }> {
  if (shared && sharedChoice === backend) return shared;
  const previous = shared;
  sharedChoice = backend;
  shared = (async () => {
    if (previous) {
      const { client } = await previous.catch(() => ({ client: null }));
      if (client) return { client, backend: await client.request('init', { backend }) };
    }
    try {
      const client = new EngineClient(await workerChannel());
      return { client, backend: await client.request('init', { backend }) };
    } catch (workerError) {
      // No module workers, or no backend would start inside one: run the engine on this thread instead.
      console.warn('The engine could not run in a Web Worker; running it on the main thread.', workerError);
      const client = new EngineClient(await mainThreadChannel());
      return { client, backend: await client.request('init', { backend }) };
    }
  })();
  return shared;
}
