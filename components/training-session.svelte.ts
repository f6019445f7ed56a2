// The engine side of a widget that trains (lessons 5 and 6): boot on the reader's backend, one `train`
// request at a time with its progress, pause / resume / cancel between steps, and a pause of its own when
// the tab is hidden (a hidden tab would crawl at a step a minute). The widget keeps what it draws.
import type { TrainProgressMessage, TrainRequest, TrainResult } from '../models/engine/protocol.ts';
import type { BackendChoice } from './backends.ts';
import { EngineSession } from './engine-session.svelte.ts';
import { describeError } from './figure-lifecycle.ts';

export type TrainingPhase = 'waiting' | 'starting' | 'ready' | 'running' | 'paused' | 'done' | 'error';

export class TrainingSession {
  readonly engine = new EngineSession();
  phase: TrainingPhase = $state('waiting');
  /** The sentence the status line shows once a run has ended or failed. */
  message = $state('');
  /** True after a pause the hidden tab caused. */
  hiddenPause = $state(false);
  /** True once the engine confirms it stopped between steps. */
  enginePaused = $state(false);
  #control: { pause(): void; resume(): void } | null = null;
  #abort: AbortController | null = null;

  get running(): boolean {
    return this.phase === 'running' || this.phase === 'paused';
  }

  /** Starts (or switches) the engine on `choice`; true when it is ready. */
  async boot(choice: BackendChoice): Promise<boolean> {
    this.phase = 'starting';
    this.message = '';
    const failure = await this.engine.start(choice);
    if (failure) {
      this.phase = 'error';
      this.message = `The training engine could not start: ${failure} Reload the page to try again.`;
      return false;
    }
    this.phase = 'ready';
    return true;
  }

  /** Pauses when the tab is hidden; returns the listener's remover (call it on unmount, which also cancels). */
  watchTab(): () => void {
    const onVisibility = (): void => {
      if (document.visibilityState === 'hidden' && this.phase === 'running') {
        this.pause();
        this.hiddenPause = true;
      }
    };
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      document.removeEventListener('visibilitychange', onVisibility);
      this.#abort?.abort();
    };
  }

  /** Runs one request to its end; null when it could not run (the message says why). */
  async train(
    backend: BackendChoice,
    request: TrainRequest,
    onProgress: (p: TrainProgressMessage) => void,
  ): Promise<TrainResult | null> {
    if (this.running) return null;
    if ((!this.engine.client || this.phase === 'error' || this.phase === 'waiting') && !(await this.boot(backend))) {
      return null;
    }
    const client = this.engine.client;
    if (!client) return null;
    this.hiddenPause = false;
    this.enginePaused = false;
    this.message = 'Fetching the training data (2 MB, once) and building the models…';
    this.phase = 'running';
    this.#abort = new AbortController();
    const steer = client.steerable('train', request, {
      signal: this.#abort.signal,
      onTrainProgress: (p) => {
        this.enginePaused = p.paused;
        onProgress(p);
      },
    });
    this.#control = steer;
    try {
      const result = await steer.result;
      this.phase = result.error ? 'error' : 'done';
      this.message = result.error
        ? `Training stopped: ${result.error}`
        : result.cancelled
          ? 'Cancelled; what was trained so far is shown.'
          : 'Finished.';
      return result;
    } catch (error) {
      this.phase = 'error';
      this.message = `Training could not run: ${describeError(error)}`;
      return null;
    } finally {
      this.#control = null;
      this.#abort = null;
    }
  }

  pause(): void {
    if (this.phase !== 'running' || !this.#control) return;
    this.#control.pause();
    this.phase = 'paused';
  }

  resume(): void {
    if (this.phase !== 'paused' || !this.#control) return;
    this.#control.resume();
    this.hiddenPause = false;
    this.phase = 'running';
  }

  cancel(): void {
    this.#control?.resume();
    this.#abort?.abort();
  }
}
