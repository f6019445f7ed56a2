// The engine's `train` request: one model, or several interleaved step by step (a race), trained on the
// shipped token data with the Lab's training loop, streaming progress to the page at most ~10 times a
// second, pausing and cancelling between steps. What it trained is kept in memory (for logits, export) and
// returned as checkpoint zips; a step that fails (a lost WebGL context) stops the run and returns the last
// snapshot of the weights, so nothing already trained is lost with the backend.
import { checkpointFilesFromZip, checkpointZip } from '../checkpoint/checkpoint-zip.ts';
import { saveCheckpoint } from '../checkpoint/checkpoint.ts';
import type { HostTensor } from '../checkpoint/safetensors.ts';
import { Lab } from '../lab.ts';
import { genreSubset, readTokenData, type TokenDataManifest, type TokenSplit } from '../text/token-data.ts';
import { nextTask, type Training, type TrainProgress } from '../training/trainer.ts';
import { isTrainable, validateTrainRun, type TrainRun } from '../training/train-config.ts';
import type {
  ImportedCheckpoint,
  TrainedRouting,
  TrainProgressMessage,
  TrainRequest,
  TrainResult,
  TrainedRun,
} from './protocol.ts';

/** What the train request needs from the engine around it. */
export interface TrainContext {
  fetchFile(url: string): Promise<{ body: Uint8Array; fromCache: boolean }>;
  forgetFile?: (url: string) => Promise<void>;
  trainProgress(progress: TrainProgressMessage): void;
  cancelled(): boolean;
  paused(): boolean;
}

/** Messages per run per second, at most: what a chart can draw, and few enough not to flood the page. */
const PROGRESS_INTERVAL_MS = 100;

interface TokenData {
  manifest: TokenDataManifest;
  train: TokenSplit;
  validation: TokenSplit;
}

interface Lane {
  id: string;
  run: TrainRun;
  lab: Lab;
  tokenizerJson: unknown;
  training: Training;
  /** Losses of the steps not yet sent. */
  pending: number[];
  lastSent: number;
  stepMs: number[];
  last: TrainProgress | null;
  valLoss: number | null;
  snapshot: { step: number; tensors: Map<string, HostTensor> } | null;
  error: string | null;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** A model trained or imported in this page, with the selection bias its training learnt (if any). */
interface Kept {
  lab: Lab;
  tokenizerJson: unknown;
  /** Per layer, bias balancing's bias [N] (DeepSeek-V3 §2.1.2); absent when the run did not balance by bias. */
  selectionBias?: number[][];
}

/** Fetches, verifies and keeps the token data (one download per page: the URLs carry content hashes). */
export class TrainingDesk {
  private data: { key: string; value: Promise<TokenData> } | null = null;
  /** Models trained or imported in this page, by the page's id: for logits and export. */
  private readonly kept = new Map<string, Kept>();

  private async tokenData(urls: Record<string, string>, context: TrainContext): Promise<TokenData> {
    const key = JSON.stringify(urls);
    if (this.data?.key !== key) {
      const value = (async () => {
        const files = new Map<string, Uint8Array>();
        for (const [name, url] of Object.entries(urls)) files.set(name, (await context.fetchFile(url)).body);
        try {
          return await readTokenData(files);
        } catch (error) {
          // A corrupted file must not stay cached, or the reload the message asks for would fail the same way.
          await Promise.all(Object.values(urls).map((url) => context.forgetFile?.(url)));
          throw error;
        }
      })();
      this.data = { key, value };
      value.catch(() => (this.data = null));
    }
    return this.data.value;
  }

  private async fetchJson(url: string, context: TrainContext): Promise<unknown> {
    return JSON.parse(new TextDecoder().decode((await context.fetchFile(url)).body)) as unknown;
  }

  /** Builds each lane's model and run, checking every run before allocating any model. */
  private async lanes(request: TrainRequest, data: TokenData, context: TrainContext): Promise<Lane[]> {
    if (!Array.isArray(request.runs) || request.runs.length === 0 || request.runs.length > 4) {
      throw new Error('Give one training run, or up to four to race side by side.');
    }
    const ids = new Set(request.runs.map((r) => r.id));
    if (ids.size !== request.runs.length) throw new Error('Each run of a race needs its own name.');
    const tokenizerJson = await this.fetchJson(request.tokenizer, context);
    const { vocabSize, endOfTextId } = data.manifest.tokenizer;
    const checked = [];
    for (const spec of request.runs) {
      const checkpointFiles = new Map<string, Uint8Array>();
      if (spec.checkpoint) {
        for (const [name, url] of Object.entries(spec.checkpoint.files)) {
          checkpointFiles.set(name, (await context.fetchFile(url)).body);
        }
      }
      const configBytes = checkpointFiles.get('config.json');
      const checkpointConfig = configBytes ? (JSON.parse(new TextDecoder().decode(configBytes)) as unknown) : undefined;
      const v = validateTrainRun(spec.run, {
        vocabSize,
        endOfTextId,
        checkpointConfig,
        data: data.manifest,
        memoryBudgetBytes: request.memoryBudgetBytes,
      });
      if (!v.ok) throw new Error(`${request.runs.length > 1 ? `Run "${spec.id}": ` : ''}${v.errors.join(' ')}`);
      checked.push({ spec, v, checkpointFiles });
    }
    const lanes: Lane[] = [];
    try {
      for (const { spec, v, checkpointFiles } of checked) {
        let lab: Lab;
        let laneTokenizer = tokenizerJson;
        if (v.run.model.from === 'checkpoint') {
          const loaded = await Lab.load(checkpointFiles);
          // The run's aux-loss coefficients replace the checkpoint's: the config is rebuilt around its weights.
          lab = await Lab.fromTensors({ config: v.modelConfig, tensors: loaded.tensors(), tokenizer: tokenizerJson });
          loaded.dispose();
          const tok = checkpointFiles.get('tokenizer.json');
          if (tok) laneTokenizer = JSON.parse(new TextDecoder().decode(tok)) as unknown;
        } else {
          lab = await Lab.create({ config: v.modelConfig, tokenizer: tokenizerJson, seed: v.run.seed });
        }
        const { genres, maxTokens, validateOnGenres } = v.run.data;
        const train = genres ? genreSubset(data.train, genres) : data.train;
        const validation = genres && validateOnGenres ? genreSubset(data.validation, genres) : data.validation;
        const { schedule, routing, trainable } = v.run;
        const training = lab.train({
          // A fine-tuning slice: the chosen documents' first maxTokens tokens.
          train: maxTokens === undefined ? train.stream : train.stream.subarray(0, maxTokens),
          validation: validation.stream,
          trainable: trainable ? lab.weightNames().filter((name) => isTrainable(name, trainable)) : undefined,
          steps: v.run.steps,
          batchSize: v.run.batch,
          seqLen: v.run.seqLen,
          seed: v.run.seed,
          schedule: { maxLr: schedule.lr, minLr: schedule.minLr, warmupSteps: schedule.warmup },
          clip: schedule.clip,
          optimizer: { beta2: schedule.beta2, weightDecay: schedule.weightDecay },
          evalEvery: request.evalEvery,
          evalWindows: request.evalWindows,
          routing: { capacityFactor: routing.capacityFactor, biasUpdateRate: routing.biasUpdateRate },
        });
        lanes.push({
          id: spec.id,
          run: v.run,
          lab,
          tokenizerJson: laneTokenizer,
          training,
          pending: [],
          lastSent: -Infinity,
          stepMs: [],
          last: null,
          valLoss: null,
          snapshot: null,
          error: null,
        });
      }
    } catch (error) {
      lanes.forEach((lane) => (lane.training.dispose(), lane.lab.dispose()));
      throw error;
    }
    return lanes;
  }

  /** Runs the request to the end, a cancel, or a failure; returns every lane's checkpoint. */
  async train(request: TrainRequest, context: TrainContext): Promise<TrainResult> {
    const data = await this.tokenData(request.data, context);
    const lanes = await this.lanes(request, data, context);
    this.forget(lanes.map((l) => l.id));
    const snapshotEvery = request.snapshotEvery ?? 50;
    let failure: string | null = null;
    try {
      while (!context.cancelled() && failure === null && lanes.some((l) => !l.training.done)) {
        for (const lane of lanes) {
          if (lane.training.done) continue;
          // Let pause, resume and cancel messages in between steps.
          await nextTask();
          if (context.paused() && !context.cancelled()) {
            // Tell the page where every lane stopped, so what it shows while paused is final.
            lanes.forEach((l) => this.send(l, context, true));
            while (context.paused() && !context.cancelled()) await new Promise((r) => setTimeout(r, 50));
          }
          if (context.cancelled()) break;
          let progress: TrainProgress | null;
          try {
            progress = lane.training.step();
          } catch (error) {
            lane.error = message(error);
            failure = lane.error;
            break;
          }
          if (!progress) continue;
          this.record(lane, progress);
          if (progress.step % snapshotEvery === 0) lane.snapshot = { step: progress.step, tensors: lane.lab.tensors() };
          const now = performance.now();
          if (now - lane.lastSent >= PROGRESS_INTERVAL_MS || progress.valLoss !== undefined || lane.training.done) {
            this.send(lane, context);
            lane.lastSent = now;
          }
        }
      }
      const runs: TrainedRun[] = [];
      for (const lane of lanes) {
        if (lane.pending.length > 0) this.send(lane, context);
        runs.push(await this.finish(lane, failure));
      }
      return { runs, cancelled: context.cancelled(), error: failure };
    } finally {
      lanes.forEach((lane) => lane.training.dispose());
    }
  }

  private record(lane: Lane, progress: TrainProgress): void {
    lane.last = progress;
    lane.pending.push(progress.loss);
    if (progress.valLoss !== undefined) lane.valLoss = progress.valLoss;
    // The first step compiles kernels and allocates: it says nothing about the speed that follows.
    if (progress.step > 1) lane.stepMs.push(progress.ms);
  }

  private speed(lane: Lane): { msPerStep: number; tokensPerSecond: number } {
    const n = lane.stepMs.length;
    const msPerStep = n === 0 ? 0 : lane.stepMs.reduce((a, b) => a + b, 0) / n;
    const tokens = lane.run.batch * lane.run.seqLen;
    return { msPerStep, tokensPerSecond: msPerStep > 0 ? (tokens / msPerStep) * 1000 : 0 };
  }

  private send(lane: Lane, context: TrainContext, paused = false): void {
    const p = lane.last;
    if (!p) return;
    context.trainProgress({
      run: lane.id,
      step: p.step,
      steps: p.steps,
      firstStep: p.step - lane.pending.length + 1,
      losses: lane.pending.splice(0),
      tokensSeen: p.tokensSeen,
      loss: p.loss,
      valLoss: p.valLoss ?? null,
      lastValLoss: lane.valLoss,
      lr: p.lr,
      aux: p.aux,
      zLoss: p.zLoss,
      gradNorm: p.gradNorm,
      expertTokens: p.expertTokens,
      routerEntropy: p.routerEntropy,
      routerMeanProb: p.routerMeanProb,
      droppedSlots: p.droppedSlots,
      ...(p.unroutedTokens ? { unroutedTokens: p.unroutedTokens } : {}),
      paused,
      ...this.speed(lane),
    });
  }

  /** The lane's checkpoint as a zip: its live weights, or after a failure its last snapshot. */
  private async finish(lane: Lane, failure: string | null): Promise<TrainedRun> {
    let zip: Uint8Array | null = null;
    let fromSnapshot = false;
    try {
      zip = checkpointZip(await lane.lab.save());
      // Bias balancing's learnt bias is the trainer's, not a weight: kept so the model routes as it trained.
      const selectionBias = lane.training.selectionBias();
      this.kept.set(lane.id, {
        lab: lane.lab,
        tokenizerJson: lane.tokenizerJson,
        ...(selectionBias ? { selectionBias } : {}),
      });
    } catch (error) {
      lane.lab.dispose();
      if (lane.snapshot) {
        const { files } = await saveCheckpoint({
          config: lane.lab.config,
          tensors: lane.snapshot.tensors,
          tokenizerJson: lane.tokenizerJson,
        });
        zip = checkpointZip(files);
        fromSnapshot = true;
      }
      failure ??= message(error);
    }
    const params = countOf(lane.lab);
    const selectionBias = lane.training.selectionBias();
    return {
      ...(selectionBias ? { selectionBias } : {}),
      id: lane.id,
      stepsDone: fromSnapshot ? lane.snapshot!.step : lane.training.stepsDone,
      steps: lane.run.steps,
      loss: lane.last?.loss ?? null,
      valLoss: lane.valLoss,
      ...this.speed(lane),
      totalParams: params.total,
      activeParams: params.active,
      checkpoint: zip,
      fromSnapshot,
      error: failure,
    };
  }

  /** Logits of a kept model for ready-made ids: [ids.length][vocab]. */
  async logits(id: string, ids: number[]): Promise<number[][]> {
    return this.require(id).lab.logits(ids);
  }

  /**
   * How a kept model routes `text` (cut to its context), layer by layer: one batch of one window, so
   * expert choice and Soft MoE see the passage as the one sequence they work within.
   */
  async routeTrained(id: string, text: string): Promise<TrainedRouting> {
    const { lab, selectionBias } = this.require(id);
    const ids = lab.encode(text).slice(0, lab.config.max_position_embeddings);
    const layers = await lab.routeIds([ids], { selectionBias });
    const perToken = <T>(flat: ArrayLike<T>, width: number): T[][] =>
      ids.map((_, t) => Array.from({ length: width }, (_, j) => flat[t * width + j]!));
    return {
      tokens: ids.map((tokenId) => lab.tokenizer.decode([tokenId])),
      numExperts: lab.config.num_local_experts,
      sharedExperts: lab.config.n_shared_experts ?? 0,
      routing: lab.config.moe_routing ?? 'token-choice',
      scoring: lab.config.scoring_func ?? 'softmax',
      layers: layers.map((layer) => {
        const width = layer.expertIndex.length / ids.length;
        const experts = perToken(layer.expertIndex, width);
        const weights = perToken(layer.gateWeights, width);
        // Expert choice pads each token's list with −1 (models/moe/moe-layer.ts RoutingStats).
        return {
          experts: experts.map((row) => row.filter((e) => e >= 0)),
          weights: weights.map((row, t) => row.filter((_, j) => experts[t]![j]! >= 0)),
          expertTokens: Array.from(layer.expertTokens),
        };
      }),
    };
  }

  /** A kept model's checkpoint zip (float32 weights). */
  async exportZip(id: string): Promise<Uint8Array> {
    return checkpointZip(await this.require(id).lab.save());
  }

  /** Reads a checkpoint zip (a reader's file), verifies it and keeps the model under `id`. */
  async importZip(id: string, bytes: Uint8Array): Promise<ImportedCheckpoint> {
    let lab: Lab;
    try {
      lab = await Lab.load(await checkpointFilesFromZip(bytes));
    } catch (error) {
      throw new Error(`That file is not a checkpoint this page can read: ${message(error)}`, { cause: error });
    }
    this.forget([id]);
    const tokenizerJson = lab.hasTokenizer ? lab.tokenizer.toJSON() : undefined;
    this.kept.set(id, { lab, tokenizerJson });
    const { config } = lab;
    const params = countOf(lab);
    return {
      id,
      numExperts: config.num_local_experts,
      topK: config.num_experts_per_tok,
      numLayers: config.num_hidden_layers,
      hiddenSize: config.hidden_size,
      totalParams: params.total,
      activeParams: params.active,
      notes: lab.notes,
    };
  }

  /** Frees kept models (all when `ids` is absent); returns how many it freed. */
  forget(ids?: string[]): number {
    let freed = 0;
    for (const [id, kept] of this.kept) {
      if (ids && !ids.includes(id)) continue;
      kept.lab.dispose();
      this.kept.delete(id);
      freed++;
    }
    return freed;
  }

  /** Keeps a loaded model under `id` (replacing one kept there before). */
  keep(id: string, lab: Lab): void {
    this.forget([id]);
    this.kept.set(id, { lab, tokenizerJson: lab.hasTokenizer ? lab.tokenizer.toJSON() : undefined });
  }

  /** The kept model `id`; throws a sentence when there is none. */
  lab(id: string): Lab {
    return this.require(id).lab;
  }

  private require(id: string): Kept {
    const kept = this.kept.get(id);
    if (!kept) throw new Error(`No trained model named "${id}" is in memory; train or import one first.`);
    return kept;
  }
}

function countOf(lab: Lab): { total: number; active: number } {
  const { total, active } = lab.parameters();
  return { total, active };
}
