// The training loop, steppable: one optimiser step per call, so the CLI can run it to the end, the engine
// worker can stream it to a page (progress, pause, cancel between steps) and a notebook can drive it by hand.
// The batches are a pure function of (seed, step) (models/text/batches.ts), so a run stopped at step s and
// resumed from its weights and AdamW state continues exactly as if it had never stopped.

import { evalBatches, randomBatch, type Batch } from '../text/batches.ts';
import type { MixtralModel } from '../nn/transformer.ts';
import { AdamW, learningRate, type AdamWConfig, type AdamWState, type LrSchedule } from './optim.ts';
import { evaluate, trainStep } from './train.ts';
import { updateSelectionBias } from '../moe/losses.ts';

/** What a run trains on, how long, and with which optimiser settings. */
export interface TrainOptions {
  /** The training token stream (documents joined by end-of-text); batches are random windows of it. */
  train: ArrayLike<number>;
  /** Held-out stream: its loss is measured every `evalEvery` steps and after the last step. */
  validation?: ArrayLike<number>;
  /** Steps to run in all (a resumed run counts from 0 too). */
  steps: number;
  batchSize: number;
  seqLen: number;
  /** Seed of the batch order. */
  seed: number;
  /** Learning-rate schedule; `decaySteps` defaults to `steps`. */
  schedule: Omit<LrSchedule, 'decaySteps'> & { decaySteps?: number };
  /** Max global gradient norm; 0 or Infinity disables clipping (default 1). */
  clip?: number;
  /** AdamW's β₁, β₂, ε, weight decay (nanoGPT's defaults otherwise). */
  optimizer?: Partial<AdamWConfig>;
  /** Validation every this many steps (default: only at the end). */
  evalEvery?: number;
  /** Validation windows of `seqLen` tokens per evaluation (default 128). */
  evalWindows?: number;
  /** Continue a stopped run: the step to start at and the optimiser state it had there. */
  resume?: { step: number; optimizer: AdamWState };
  /** Only these weights (Hugging Face names) are updated; absent = all. */
  trainable?: readonly string[];
  /** Routing while training: token dropping past a capacity, and aux-loss-free bias balancing. */
  routing?: {
    /** Expert capacity factor (GShard §2.2); null or absent: dropless. */
    capacityFactor?: number | null;
    /** γ of DeepSeek-V3's selection-bias update (§2.1.2), applied after every step; null or absent: off. */
    biasUpdateRate?: number | null;
    /** Per layer, the bias to start from (a resumed run's `selectionBias()`); zeros otherwise. */
    selectionBias?: readonly (readonly number[])[];
  };
}

/** One step's report; `valLoss` is set on the steps where validation ran. */
export interface TrainProgress {
  /** Steps done, including this one (1 after the first). */
  step: number;
  steps: number;
  tokensSeen: number;
  lr: number;
  /** Cross-entropy of this step's batch before the update, nats per token. */
  loss: number;
  /** The routers' auxiliary losses (α·balance + β·z), summed over layers. */
  aux: number;
  gradNorm: number;
  ms: number;
  /** Per layer, tokens each expert computed in this step: [layers][N]. */
  expertTokens: number[][];
  /** The router z-loss term β·L_z of `aux`, summed over layers. */
  zLoss: number;
  /** Per layer: mean router entropy over the batch's tokens, nats (log N when every expert is equally likely). */
  routerEntropy: number[];
  /** Per layer: each expert's mean router probability Pᵢ this step: [layers][N]. */
  routerMeanProb: number[][];
  /** Per layer: routed (token, choice) slots dropped by the capacity limit this step. */
  droppedSlots: number[];
  /** Per layer: tokens no expert took this step (expert-choice routing only; absent otherwise). */
  unroutedTokens?: number[];
  valLoss?: number;
}

const now = (): number => performance.now();

/** Lets pending messages (pause, cancel) in between steps; unlike setTimeout(0) it is never clamped to 4 ms. */
export function nextTask(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/**
 * A training run over a model it does not own: `step()` advances it by one optimiser step; iterating it
 * with `for await` runs it to the end, yielding to the event loop between steps so `pause()` and
 * `cancel()` take effect. `dispose()` frees the optimiser's moments (the model's weights stay trained).
 */
export class Training implements AsyncIterable<TrainProgress> {
  readonly options: TrainOptions;
  private readonly model: MixtralModel;
  private readonly optimizer: AdamW;
  private readonly validation: Batch[];
  private readonly schedule: LrSchedule;
  private next: number;
  private paused = false;
  private cancelled = false;
  private resumeWaiters: (() => void)[] = [];
  /** Per layer selection bias while bias balancing is on; null when off. */
  private bias: Float32Array[] | null;
  private readonly trainable: ReadonlySet<string> | undefined;

  constructor(model: MixtralModel, options: TrainOptions) {
    checkTrainOptions(options);
    this.model = model;
    this.options = options;
    this.schedule = { decaySteps: options.steps, ...options.schedule };
    this.validation = options.validation
      ? evalBatches(options.validation, options.batchSize, options.seqLen, options.evalWindows ?? 128)
      : [];
    this.optimizer = new AdamW(model.weights, options.optimizer);
    this.trainable = options.trainable ? new Set(options.trainable) : undefined;
    this.next = options.resume?.step ?? 0;
    if (options.resume) this.optimizer.setState(options.resume.optimizer);
    const { num_hidden_layers: layers, num_local_experts: experts } = model.config;
    const start = options.routing?.selectionBias;
    this.bias =
      (options.routing?.biasUpdateRate ?? null) === null
        ? null
        : Array.from({ length: layers }, (_, l) => Float32Array.from(start?.[l] ?? new Array<number>(experts).fill(0)));
  }

  /** Tokens each validation scores. */
  get validationTokens(): number {
    return this.validation.reduce((n, b) => n + b.batchSize * b.seqLen, 0);
  }

  /** Steps done so far. */
  get stepsDone(): number {
    return this.next;
  }

  get done(): boolean {
    return this.cancelled || this.next >= this.options.steps;
  }

  /** Runs one optimiser step (and validation when it is due); null once the run is over. */
  step(): TrainProgress | null {
    if (this.done) return null;
    const { options } = this;
    const start = now();
    const step = this.next;
    const lr = learningRate(step, this.schedule);
    const batch = randomBatch(options.train, step, options);
    const clip = options.clip === undefined ? 1 : options.clip > 0 ? options.clip : Infinity;
    const r = trainStep(this.model, this.optimizer, batch, {
      lr,
      clip,
      capacityFactor: options.routing?.capacityFactor ?? null,
      selectionBias: this.bias ?? undefined,
      trainable: this.trainable,
    });
    const rate = options.routing?.biasUpdateRate;
    if (this.bias && rate) this.bias = this.bias.map((b, l) => updateSelectionBias(b, r.expertTokens[l]!, rate));
    if (!Number.isFinite(r.loss)) {
      throw new Error(
        `The loss became ${r.loss} at step ${step}; lower the learning rate or keep clipping on, and start again.`,
      );
    }
    this.next = step + 1;
    const progress: TrainProgress = {
      step: this.next,
      steps: options.steps,
      tokensSeen: this.next * options.batchSize * options.seqLen,
      lr,
      loss: r.loss,
      aux: r.aux,
      gradNorm: r.gradNorm,
      ms: now() - start,
      expertTokens: r.expertTokens.map((layer) => Array.from(layer)),
      zLoss: r.zLoss,
      routerEntropy: r.routerEntropy,
      routerMeanProb: r.routerMeanProb,
      droppedSlots: r.droppedSlots,
    };
    if (this.model.config.moe_routing === 'expert-choice') progress.unroutedTokens = r.unroutedTokens;
    const every = options.evalEvery ?? Infinity;
    if (this.validation.length > 0 && (this.next % every === 0 || this.next === options.steps)) {
      progress.valLoss = this.evaluate();
    }
    return progress;
  }

  /** Mean cross-entropy on the validation windows (nats per token). */
  evaluate(): number {
    if (this.validation.length === 0) throw new Error('This run was given no validation stream to evaluate on.');
    return evaluate(this.model, this.validation);
  }

  /** Stops before the next step until `resume()`. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.resumeWaiters.splice(0).forEach((wake) => wake());
  }

  /** Ends the run after the step in progress; the model keeps what it learnt. */
  cancel(): void {
    this.cancelled = true;
    this.resume();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TrainProgress> {
    while (!this.done) {
      await nextTask();
      while (this.paused) await new Promise<void>((resolve) => this.resumeWaiters.push(resolve));
      const progress = this.step();
      if (progress) yield progress;
    }
  }

  /** Per layer, the selection bias bias balancing has learnt so far; null when it is off. */
  selectionBias(): number[][] | null {
    return this.bias?.map((b) => Array.from(b)) ?? null;
  }

  /** The optimiser's step count and moments, to snapshot a run and resume it later. */
  optimizerState(): AdamWState {
    return this.optimizer.getState();
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

function checkTrainOptions(o: TrainOptions): void {
  for (const [name, value] of [
    ['steps', o.steps],
    ['batchSize', o.batchSize],
    ['seqLen', o.seqLen],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`${name} must be a whole number ≥ 1; got ${value}.`);
  }
  if (o.evalEvery !== undefined && (!Number.isInteger(o.evalEvery) || o.evalEvery < 1)) {
    throw new RangeError(`evalEvery must be a whole number ≥ 1; got ${o.evalEvery}.`);
  }
  if (o.train.length <= o.seqLen) {
    throw new RangeError(
      `The training stream holds ${o.train.length} tokens; a window of ${o.seqLen} needs at least ${o.seqLen + 1}.`,
    );
  }
  if (o.trainable && o.trainable.length === 0) {
    throw new RangeError('Name at least one weight to train, or leave trainable out to train them all.');
  }
  const factor = o.routing?.capacityFactor;
  if (factor !== undefined && factor !== null && !(factor > 0)) {
    throw new RangeError(`The capacity factor must be above 0, or none for dropless routing; got ${factor}.`);
  }
  const rate = o.routing?.biasUpdateRate;
  if (rate !== undefined && rate !== null && !(rate > 0)) {
    throw new RangeError(`The bias balancing rate γ must be above 0, or none to turn it off; got ${rate}.`);
  }
  if (o.resume && (!Number.isInteger(o.resume.step) || o.resume.step < 0 || o.resume.step > o.steps)) {
    throw new RangeError(`A run can resume at a step from 0 to ${o.steps}; got ${o.resume.step}.`);
  }
}
