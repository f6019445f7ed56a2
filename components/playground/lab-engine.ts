// The page's engine for notebook runs, started only when a cell first calls the lab (a notebook of plain
// arithmetic never loads tfjs), on the backend the reader chose in the toolbar.
import type { BackendChoice } from '../backends.ts';
import { startEngine, type EngineClient } from '../engine-client.ts';
import type { LabEngine } from '../../playground/lab-port/serve.ts';
import type { BackendReport } from '../../models/engine/protocol.ts';

export interface LazyEngine extends LabEngine {
  /** The backend it runs on once started, and why it is not the chosen one ('' when it is). */
  onStarted(listener: (backend: BackendReport, note: string) => void): void;
}

export function lazyEngine(choice: () => BackendChoice): LazyEngine {
  let started: Promise<EngineClient> | null = null;
  let startedOn: BackendChoice | null = null;
  const listeners: ((backend: BackendReport, note: string) => void)[] = [];
  const client = (): Promise<EngineClient> => {
    const wanted = choice();
    if (!started || startedOn !== wanted) {
      startedOn = wanted;
      started = startEngine(wanted).then((engine) => {
        for (const listener of listeners) listener(engine.backend, engine.fallbackNote);
        return engine.client;
      });
      started.catch(() => (started = null));
    }
    return started;
  };
  return {
    onStarted: (listener) => listeners.push(listener),
    request: async (type, payload, handlers) => (await client()).request(type, payload, handlers),
    steerable(type, payload, handlers) {
      let steer: { pause(): void; resume(): void } | null = null;
      let paused = false;
      const result = client().then((engine) => {
        const request = engine.steerable(type, payload, handlers);
        steer = request;
        if (paused) request.pause();
        return request.result;
      });
      return {
        result,
        pause: () => (steer ? steer.pause() : (paused = true)),
        resume: () => (steer ? steer.resume() : (paused = false)),
      };
    },
  };
}
