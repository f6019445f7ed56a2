// Connects an Engine to a message port: a Web Worker's global scope, or one end of a MessageChannel
// when the page has to run the engine on its main thread. Both sides speak models/engine/protocol.ts.
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { Engine, type Fetcher, type RequestContext } from './engine.ts';
import type { FromEngine, ToEngine } from './protocol.ts';

/** The part of a MessagePort / worker scope the host uses. */
export interface Port {
  postMessage(message: FromEngine): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ToEngine>) => void): void;
}

const CACHE_NAME = 'moe-lab-checkpoints-v1';

/**
 * Reads through Cache Storage: checkpoint URLs carry a content hash, so a cached file never goes stale,
 * and a reader who loaded a model once can use it offline. Where Cache Storage is unavailable (private
 * windows, insecure origins), files are simply fetched.
 */
export const cachedFetch: Fetcher = async (url) => {
  const cache = typeof caches === 'undefined' ? null : await caches.open(CACHE_NAME).catch(() => null);
  const hit = await cache?.match(url);
  if (hit) return { body: new Uint8Array(await hit.arrayBuffer()), fromCache: true };
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(networkFailure(error), { cause: error });
  }
  if (!response.ok) throw new Error(`Downloading ${url} failed: HTTP ${response.status} ${response.statusText}.`);
  const body = new Uint8Array(await response.arrayBuffer());
  await cache?.put(url, new Response(body.slice(), { headers: response.headers })).catch(() => undefined);
  return { body, fromCache: false };
};

/**
 * A fetch that failed before any response (offline, DNS, a dropped connection) says only "Failed to fetch":
 * say what the reader can do. Files are kept for offline use only after they have loaded once.
 */
export function networkFailure(error: unknown, online = globalThis.navigator?.onLine ?? true): string {
  if (!online) {
    return 'You are offline, and this checkpoint has not been downloaded yet: a checkpoint is kept for offline use only after it has loaded once. Reconnect and press Retry, or choose one you have loaded before.';
  }
  const detail = error instanceof Error ? error.message : String(error);
  return `The download failed (${detail}). Check the connection and press Retry; if you are offline, this checkpoint has not been downloaded yet.`;
}

async function forgetFile(url: string): Promise<void> {
  if (typeof caches === 'undefined') return;
  const cache = await caches.open(CACHE_NAME).catch(() => null);
  await cache?.delete(url);
}

export interface HostOptions {
  inWorker: boolean;
  /** The wasm backend's binaries by file name → URL (the bundler decides where they are served); absent in Node, whose backend set-up finds them on disk. */
  wasmPaths?: Record<string, string>;
  /** How files are read (default: through Cache Storage); Node tests read them from disk. */
  fetchFile?: Fetcher;
}

/** Serves engine requests arriving on `port`, one at a time, in arrival order. */
export function hostEngine(port: Port, options: HostOptions): void {
  if (options.wasmPaths) setWasmPaths(options.wasmPaths);
  const engine = new Engine({ inWorker: options.inWorker, fetchFile: options.fetchFile ?? cachedFetch, forgetFile });
  const cancelled = new Set<number>();
  const paused = new Set<number>();
  let queue: Promise<void> = Promise.resolve();

  port.addEventListener('message', (event) => {
    const message = event.data;
    // Steering messages bypass the queue: they act on the request that is running.
    if (message.type === 'cancel') {
      cancelled.add(message.id);
      return;
    }
    if (message.type === 'pause' || message.type === 'resume') {
      if (message.type === 'pause') paused.add(message.id);
      else paused.delete(message.id);
      return;
    }
    // Requests run one after another: the engine holds one model and one backend.
    queue = queue.then(async () => {
      const { id } = message;
      const context: RequestContext = {
        progress: (progress) => port.postMessage({ id, type: 'progress', progress }),
        token: (token) => port.postMessage({ id, type: 'token', token }),
        benchRow: (row, done, total) => port.postMessage({ id, type: 'benchRow', row, done, total }),
        cancelled: () => cancelled.has(id),
        trainProgress: (progress) => port.postMessage({ id, type: 'trainProgress', progress }),
        paused: () => paused.has(id),
        analyzeProgress: (done, total) => port.postMessage({ id, type: 'analyzeProgress', done, total }),
      };
      try {
        const result = await engine.handle(message.type, message.payload, context);
        port.postMessage({ id, type: 'result', request: message.type, result } as FromEngine);
      } catch (error) {
        port.postMessage({ id, type: 'error', message: error instanceof Error ? error.message : String(error) });
      } finally {
        cancelled.delete(id);
        paused.delete(id);
      }
    });
  });
}
