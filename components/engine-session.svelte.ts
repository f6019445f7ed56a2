// The page's engine as one widget holds it: the client, the backend it runs on, and why that is not the
// backend the reader chose. Every widget that runs the model starts it the same way (components/engine-client.ts).
import type { BackendReport } from '../models/engine/protocol.ts';
import type { BackendChoice } from './backends.ts';
import { startEngine, type EngineClient } from './engine-client.ts';
import { describeError } from './figure-lifecycle.ts';

export class EngineSession {
  client: EngineClient | null = null;
  backend: BackendReport | null = $state(null);
  /** Why the chosen backend could not start ('' when it did). */
  note = $state('');

  /** Starts (or switches) the page's engine on `choice`: null once it runs, else why no backend could start. */
  async start(choice: BackendChoice): Promise<string | null> {
    try {
      const started = await startEngine(choice);
      this.client = started.client;
      this.backend = started.backend;
      this.note = started.fallbackNote;
      return null;
    } catch (error) {
      return describeError(error);
    }
  }
}

/** Where the engine runs, for the status line: "in a Web Worker", or on the main thread and why. */
export function whereItRuns(backend: BackendReport): string {
  return backend.inWorker ? 'in a Web Worker' : 'on the main thread (this browser cannot run it in a worker)';
}
