// The guest's side of a notebook run: the `lab` object a cell sees, in the worker inside the sandboxed
// frame. Every call that computes travels to the page (serve.ts) over `port` as a method name and
// structured-clone arguments; parameter counts, FLOPs and KV-cache bytes are worked out here from the
// model's config with the same functions the Lab uses, at no round trip.
import { countParameters } from '../../models/accounting/params.ts';
import { flopsPerToken } from '../../models/accounting/flops.ts';
import { kvCacheBytes } from '../../models/accounting/memory.ts';
import { checkK } from '../../models/moe/check-k.ts';
import { parseMixtralConfig } from '../../models/nn/config.ts';
import type {
  CheckpointInfo,
  DecodeSpeed,
  GeneratedStep,
  HeldOutLoss,
  LabGenerateOptions,
  LabMemory,
  LabModel,
  LabTraining,
  ModelConfig,
  NotebookLab,
  ParamReport,
  Routed,
  TokenFlops,
  TrainProgress,
  TrainResult,
  TrainRunInput,
  TrainSessionOptions,
} from './api.ts';
import type { LabMethod, ModelDescriptor, ToGuest, ToPage } from './messages.ts';

/** The part of a MessagePort the guest uses. */
export interface GuestPort {
  postMessage(message: ToPage): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ToGuest>) => void): void;
  start?(): void;
}

interface Call {
  id: number;
  result: Promise<unknown>;
}

/** Calls to the page by id; streamed values go to the call's listener. */
class Rpc {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve(value: unknown): void; reject(error: Error): void; onStream?: (value: unknown) => void }
  >();
  private readonly port: GuestPort;

  constructor(port: GuestPort) {
    this.port = port;
    port.addEventListener('message', (event) => {
      const message = event.data;
      const pending = this.pending.get(message.id);
      if (!pending) return;
      if (message.kind === 'stream') pending.onStream?.(message.value);
      else {
        this.pending.delete(message.id);
        if (message.kind === 'result') pending.resolve(message.value);
        else pending.reject(new Error(message.message));
      }
    });
    port.start?.();
  }

  call(method: LabMethod, args: unknown[], onStream?: (value: unknown) => void): Call {
    const id = this.nextId++;
    const result = new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onStream });
    });
    this.port.postMessage({ id, kind: 'call', method, args });
    return { id, result };
  }

  steer(id: number, kind: 'cancel' | 'pause' | 'resume'): void {
    this.port.postMessage({ id, kind });
  }
}

/** Values the page pushes during a call (tokens, progress), pulled by `for await`; ends when the call settles. */
class Stream<T> {
  readonly queue: T[] = [];
  ended = false;
  private waker: (() => void) | null = null;

  push(value: T): void {
    this.queue.push(value);
    this.ring();
  }

  end(): void {
    this.ended = true;
    this.ring();
  }

  wait(): Promise<void> {
    return new Promise((resolve) => (this.waker = resolve));
  }

  private ring(): void {
    const waker = this.waker;
    this.waker = null;
    waker?.();
  }
}

async function* drain<T>(stream: Stream<T>, settled: Promise<unknown>): AsyncGenerator<T, void> {
  while (true) {
    if (stream.queue.length > 0) {
      yield stream.queue.shift()!;
      continue;
    }
    if (stream.ended) {
      await settled; // rethrows the call's error
      return;
    }
    await stream.wait();
  }
}

class GuestModel implements LabModel {
  readonly name: string;
  readonly config: ModelConfig;
  readonly notes: readonly string[];
  private readonly handle: string;
  private readonly rpc: Rpc;

  constructor(rpc: Rpc, descriptor: ModelDescriptor) {
    this.rpc = rpc;
    this.handle = descriptor.handle;
    this.name = descriptor.name;
    this.config = Object.freeze({ ...descriptor.config }) as ModelConfig;
    this.notes = Object.freeze([...descriptor.notes]);
  }

  private async call<T>(method: LabMethod, ...args: unknown[]): Promise<T> {
    return (await this.rpc.call(method, [this.handle, ...args]).result) as T;
  }

  route(text: string, options: { k?: number } = {}): Promise<Routed> {
    return this.call('route', text, options);
  }

  async *generate(prompt: string, options: LabGenerateOptions = {}): AsyncGenerator<GeneratedStep, void> {
    const stream = new Stream<GeneratedStep>();
    const call = this.rpc.call('generate', [this.handle, prompt, options], (v) => stream.push(v as GeneratedStep));
    const result = call.result.finally(() => stream.end());
    try {
      yield* drain(stream, result);
    } finally {
      // `break` (or an error in the loop's body) stops the generation in the engine.
      if (!stream.ended) this.rpc.steer(call.id, 'cancel');
      await result.catch(() => undefined);
    }
  }

  heldOutLoss(text: string, ks: readonly number[]): Promise<HeldOutLoss[]> {
    return this.call('heldOutLoss', text, [...ks]);
  }

  decodeSpeed(prompt: string, options: { tokens: number; k?: number }): Promise<DecodeSpeed> {
    return this.call('decodeSpeed', prompt, options);
  }

  private k(k: number | undefined): number {
    const chosen = k ?? this.config.num_experts_per_tok;
    checkK(chosen, this.config.num_local_experts);
    return chosen;
  }

  parameters(k?: number): ParamReport {
    return countParameters({ ...this.config, num_experts_per_tok: this.k(k) });
  }

  flopsPerToken(k?: number, context: number = this.config.max_position_embeddings): TokenFlops {
    return flopsPerToken(parseMixtralConfig(this.config), context, this.k(k));
  }

  kvCacheBytes(tokens: number): number {
    if (tokens === 0) return 0;
    // float32, as tfjs keeps the cache (the Lab's own figure).
    return kvCacheBytes(this.config, { context: tokens, batch: 1, bytesPerValue: 4 }).bytes;
  }

  memory(): Promise<LabMemory> {
    return this.call('memory');
  }

  save(): Promise<Map<string, Uint8Array>> {
    return this.call('save');
  }

  exportZip(): Promise<Uint8Array> {
    return this.call('exportZip');
  }

  async dispose(): Promise<void> {
    await this.call('dispose');
  }

  toString(): string {
    return `LabModel(${this.name})`;
  }
}

interface RawTrainResult extends Omit<TrainResult, 'runs'> {
  runs: (Omit<TrainResult['runs'][number], 'model'> & { model: ModelDescriptor | null })[];
}

class GuestTraining implements LabTraining {
  private readonly rpc: Rpc;
  private readonly call: Call;
  private readonly stream = new Stream<TrainProgress>();
  private readonly settled: Promise<TrainResult>;

  constructor(rpc: Rpc, runs: readonly TrainRunInput[], options: TrainSessionOptions) {
    this.rpc = rpc;
    this.call = rpc.call('train', [[...runs], options], (v) => this.stream.push(v as TrainProgress));
    this.settled = this.call.result
      .then((raw) => {
        const r = raw as RawTrainResult;
        return {
          ...r,
          runs: r.runs.map((run) => ({ ...run, model: run.model ? new GuestModel(rpc, run.model) : null })),
        };
      })
      .finally(() => this.stream.end());
    // A cell that never asks for the result must not see an "unhandled rejection" beside its own error.
    this.settled.catch(() => undefined);
  }

  result(): Promise<TrainResult> {
    return this.settled;
  }

  pause(): void {
    this.rpc.steer(this.call.id, 'pause');
  }

  resume(): void {
    this.rpc.steer(this.call.id, 'resume');
  }

  cancel(): void {
    if (!this.stream.ended) this.rpc.steer(this.call.id, 'cancel');
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TrainProgress, void> {
    try {
      yield* drain(this.stream, this.settled);
    } finally {
      // Leaving the loop early (`break`) stops the run, as it stops a generation.
      this.cancel();
    }
  }
}

class GuestLab implements NotebookLab {
  private readonly rpc: Rpc;

  constructor(rpc: Rpc) {
    this.rpc = rpc;
  }

  async checkpoints(): Promise<CheckpointInfo[]> {
    return (await this.rpc.call('checkpoints', []).result) as CheckpointInfo[];
  }

  async load(checkpoint: string): Promise<LabModel> {
    return new GuestModel(this.rpc, (await this.rpc.call('load', [checkpoint]).result) as ModelDescriptor);
  }

  train(runs: TrainRunInput | readonly TrainRunInput[], options: TrainSessionOptions = {}): LabTraining {
    return new GuestTraining(this.rpc, Array.isArray(runs) ? runs : [runs as TrainRunInput], options);
  }
}

/**
 * The `lab` a notebook's cells see, talking to the page's `serveLab` over `port`.
 * @example
 * const lab = connectLab(port);
 * const model = await lab.load('e8-top2');
 */
export function connectLab(port: GuestPort): NotebookLab {
  return new GuestLab(new Rpc(port));
}
