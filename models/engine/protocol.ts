// The messages between a page and the engine worker. One request gets one `result` or one `error`,
// with any number of `progress` / `token` messages before it; every message carries the request's id.
import { BACKEND_PREFERENCE, type BackendName } from '../runtime/backends.ts';
import type { BenchCase, BenchResult } from '../accounting/bench.ts';
import type { RoutingAnalysis } from '../moe/analyze.ts';

export type { BackendName, BenchCase, BenchResult };
/** The order the engine tries backends in when the reader has not chosen one (also the widgets' menus). */
export { BACKEND_PREFERENCE };

/** A checkpoint the page can offer: its files by name (config.json, model.safetensors, …) → URL. */
export interface CheckpointSource {
  id: string;
  files: Record<string, string>;
}

export interface GenerateRequest {
  prompt: string;
  topK: number;
  temperature: number;
  topP: number;
  seed: number;
  maxNewTokens: number;
  /** Generate with a kept model (see `keep`) instead of the loaded one. */
  model?: string;
}

/** Everything a page can ask, by request type. */
export interface EngineRequests {
  init: { backend: BackendName | 'auto' };
  load: { checkpoint: CheckpointSource };
  /**
   * capacityFactor: drop the choices past each expert's capacity ⌈factor · tokens · K / N⌉ (absent: dropless).
   * `model`: a kept model's id (see `keep`), instead of the loaded checkpoint.
   */
  route: { text: string; topK: number; capacityFactor?: number | null; model?: string };
  generate: GenerateRequest;
  heldOutLoss: { text: string; topKs: number[]; capacityFactor?: number | null; model?: string };
  memory: { model?: string };
  /** Times the MoE layer (sparse, dense-masked, equal-active dense) for each case, on the running backend. */
  benchmark: { cases: BenchCase[] };
  /** Test hook: makes the WebGL context lost, as a GPU reset or driver crash would. */
  loseContext: Record<string, never>;
  /** Benchmark hook: the bare decoding speed of the loaded model (no routing, no messages per token). */
  decodeSpeed: { prompt: string; tokens: number; topK: number; model?: string };
  /** Trains one model, or several interleaved step by step (a race); `pause`/`resume`/`cancel` steer it. */
  train: TrainRequest;
  /** Logits of a trained or imported model (kept in the engine by its run id) for token ids. */
  trainedLogits: { run: string; ids: number[] };
  /** How a trained or imported model routes one passage (lesson "After Mixtral"): every layer, every token. */
  routeTrained: { run: string; text: string };
  /** A trained or imported model's checkpoint zip (float32 weights). */
  exportTrained: { run: string };
  /** Reads a checkpoint zip, verifies it, keeps the model under `run`. */
  importTrained: { run: string; bytes: Uint8Array };
  /**
   * Loads a checkpoint and keeps it under `id` beside the loaded model (which stays): a notebook holds
   * several models at once, each named by its session. Trained and imported models are kept the same way.
   */
  keep: { id: string; checkpoint: CheckpointSource };
  /** Frees kept models (trained, imported or kept): what a notebook session does when it ends. */
  forget: { ids: string[] };
  /** Reruns the routing analysis of the loaded model on the shipped test split (models/moe/analyze-windows.ts). */
  analyzeRouting: AnalyzeRoutingRequest;
}

export interface AnalyzeRoutingRequest {
  /** The test data by file name → URL: test.json, test.bin, test-pos.bin (models/data/). */
  data: Record<string, string>;
  topK: number;
  /** At most this many context-long windows from each test document (0 = all of them). */
  windowsPerDoc: number;
  /** Windows per forward pass (default 16). */
  batch?: number;
}

export interface AnalyzeRoutingResult {
  checkpoint: string;
  analysis: RoutingAnalysis;
  /** Windows analysed, and how many the request covered (fewer analysed when cancelled). */
  windows: number;
  totalWindows: number;
  seq: number;
  cancelled: boolean;
  ms: number;
}

/** A passage through a kept model, for the routing view of the post-Mixtral variants. */
export interface TrainedRouting {
  /** Each token's text, the leading end-of-text included (every training window starts after one). */
  tokens: string[];
  numExperts: number;
  /** Experts every token goes through besides the routed ones (not listed in `experts`). */
  sharedExperts: number;
  /** 'token-choice' (with softmax or sigmoid scores), 'expert-choice' or 'soft-moe'. */
  routing: 'token-choice' | 'expert-choice' | 'soft-moe';
  scoring: 'softmax' | 'sigmoid';
  layers: {
    /** Per token, the routed experts it reached, best first (none at all is possible under expert choice). */
    experts: number[][];
    /** Their weights, same shape (Soft MoE: the token's combine weight summed over each expert's slots). */
    weights: number[][];
    /** Tokens (Soft MoE: slots) each expert processed. */
    expertTokens: number[];
  }[];
}

/** One lane of a training request. */
export interface TrainRunSpec {
  /** The page's name for the run ("dense", "e8"…): progress and results carry it. */
  id: string;
  /** The run's settings, as models/training/train-config.ts `validateTrainRun` reads them (checked there). */
  run: unknown;
  /** For a run from a checkpoint: its files by name → URL. */
  checkpoint?: CheckpointSource;
}

export interface TrainRequest {
  runs: TrainRunSpec[];
  /** The token data by file name → URL: manifest.json, train.bin, validation.bin (models/data/). */
  data: Record<string, string>;
  /** tokenizer.json for fresh models (the one the token data was made with). */
  tokenizer: string;
  /** Validation loss every this many steps (and after the last). */
  evalEvery: number;
  /** Windows of seqLen tokens each validation scores. */
  evalWindows: number;
  /** Host copy of the weights every this many steps (default 50): what survives a backend that dies. */
  snapshotEvery?: number;
  /** Refuse runs estimated to need more than this (default 1 GiB). */
  memoryBudgetBytes?: number;
}

/** A run's state, streamed at most ~10 times a second per run. */
export interface TrainProgressMessage {
  run: string;
  /** Steps done. */
  step: number;
  steps: number;
  /** The training losses of steps firstStep … step (every step, however rarely messages come). */
  firstStep: number;
  losses: number[];
  tokensSeen: number;
  /** This step's training loss, nats per token. */
  loss: number;
  /** Validation loss measured at this step, or null. */
  valLoss: number | null;
  /** The last validation loss measured so far, or null. */
  lastValLoss: number | null;
  lr: number;
  /** α·L_balance + β·L_z summed over layers; zLoss is the β·L_z part. */
  aux: number;
  zLoss: number;
  gradNorm: number;
  /** Per layer, tokens each expert computed this step: [layers][N]. */
  expertTokens: number[][];
  /** Per layer, mean router entropy (nats). */
  routerEntropy: number[];
  /** Per layer, each expert's mean router probability Pᵢ this step: [layers][N] (the Switch balancing loss's P). */
  routerMeanProb?: number[][];
  /** Per layer, routed slots the capacity limit dropped this step. */
  droppedSlots: number[];
  /** Expert-choice runs only, per layer: tokens no expert took this step. */
  unroutedTokens?: number[];
  /** True on the message that says the run has stopped for a pause (it comes after the step in flight). */
  paused: boolean;
  /** Mean over the steps after the first (which compiles kernels). */
  msPerStep: number;
  tokensPerSecond: number;
}

export interface TrainedRun {
  id: string;
  stepsDone: number;
  steps: number;
  loss: number | null;
  valLoss: number | null;
  msPerStep: number;
  tokensPerSecond: number;
  totalParams: number;
  activeParams: number;
  /** The checkpoint as a zip (config.json, model.safetensors, tokenizer.json, manifest.json), or null. */
  checkpoint: Uint8Array | null;
  /** True when the weights are the last snapshot (the backend failed after it). */
  fromSnapshot: boolean;
  error: string | null;
  /** Bias-balanced runs only: per layer, the selection bias [N] the run learnt (not in the checkpoint). */
  selectionBias?: number[][];
}

export interface TrainResult {
  runs: TrainedRun[];
  cancelled: boolean;
  /** Why the run stopped early, as a sentence; null when it finished or was cancelled. */
  error: string | null;
}

export interface ImportedCheckpoint {
  id: string;
  numExperts: number;
  topK: number;
  numLayers: number;
  hiddenSize: number;
  totalParams: number;
  activeParams: number;
  notes: string[];
}

export interface BackendReport {
  backend: BackendName;
  /** Why each backend tried before it was passed over, in order. */
  skipped: { backend: BackendName; reason: string }[];
  /** Whether the engine runs in a Web Worker (false: on the page's main thread). */
  inWorker: boolean;
}

export interface MemoryReport {
  /** tf.memory(): tensors alive and their bytes (on the GPU too, for webgl/webgpu). */
  numTensors: number;
  numBytes: number;
  /** Bytes of the loaded weights as float32. */
  weightBytes: number;
  /** Bytes of the KV cache of the last generation (freed afterwards). */
  kvCacheBytes: number;
}

export interface ModelInfo {
  checkpoint: string;
  numLayers: number;
  numExperts: number;
  /** The K the checkpoint was trained with. */
  trainedTopK: number;
  hiddenSize: number;
  vocabSize: number;
  /** Positions the model was trained on (max_position_embeddings): prompt plus generated tokens. */
  contextSize: number;
  /** Parameters held, and used by one token at the trained K (embedding and LM head counted). */
  totalParams: number;
  activeParams: number;
  /** Bytes downloaded (all files) and whether they came from the offline cache. */
  downloadBytes: number;
  fromCache: boolean;
  /** What was verified (checksums, shapes), in sentences. */
  notes: string[];
  backend: BackendName;
}

/** One token of the input, with what each layer's router did with it. */
export interface RoutedToken {
  id: number;
  /** The token's text (may be part of a word, with its leading space). */
  text: string;
}

/** One layer's routing for a whole sequence. */
export interface LayerRoutingReport {
  /** Chosen experts per token, best first: row-major [tokens, k]. */
  expertIndex: number[];
  /** Their gate weights: [tokens, k]. */
  gateWeights: number[];
  /** Router probabilities over all N experts: [tokens, N]. */
  probs: number[];
  /** Tokens each expert processed. */
  expertTokens: number[];
  /** 1 where the capacity limit dropped that choice: [tokens, k] (all 0 when dropless). */
  dropped?: number[];
}

export interface Timings {
  /** Milliseconds of the forward pass over the whole input (prefill). */
  prefillMs: number;
  /** Mean milliseconds per generated token (0 when nothing was generated). */
  msPerToken: number;
  tokensPerSecond: number;
}

export interface RouteResult {
  tokens: RoutedToken[];
  topK: number;
  numExperts: number;
  layers: LayerRoutingReport[];
  timings: Timings;
  /** Parameters and forward FLOPs one token uses at this K. */
  activeParams: number;
  flopsPerToken: number;
  memory: MemoryReport;
}

export interface GeneratedTokenMessage {
  token: RoutedToken;
  /** The whole continuation so far, decoded at once (a character can span two tokens). */
  text: string;
  /** Routing of the step that produced it, per layer (k experts and N probabilities each). */
  layers: LayerRoutingReport[];
  ms: number;
}

export interface GenerateResult {
  text: string;
  tokens: number;
  timings: Timings;
  memory: MemoryReport;
  cancelled: boolean;
}

export interface LossPoint {
  topK: number;
  /** Mean next-token cross-entropy (nats) on the held-out text. */
  loss: number;
  perplexity: number;
  tokens: number;
}

export interface EngineResults {
  init: BackendReport;
  load: ModelInfo;
  route: RouteResult;
  generate: GenerateResult;
  heldOutLoss: LossPoint[];
  memory: MemoryReport;
  benchmark: BenchmarkResult;
  loseContext: BackendReport;
  decodeSpeed: { prefillMs: number; msPerToken: number; tokens: number };
  train: TrainResult;
  trainedLogits: number[][];
  routeTrained: TrainedRouting;
  exportTrained: Uint8Array;
  importTrained: ImportedCheckpoint;
  analyzeRouting: AnalyzeRoutingResult;
  keep: KeptModel;
  forget: { freed: number };
}

/** A checkpoint kept under an id (the `keep` request). */
export interface KeptModel {
  id: string;
  /** Its config.json as the model read it. */
  config: Record<string, unknown>;
  /** What was verified (checksums, shapes), in sentences. */
  notes: string[];
  downloadBytes: number;
  fromCache: boolean;
}

export interface BenchmarkResult {
  backend: BackendName;
  results: BenchResult[];
  cancelled: boolean;
}

export type RequestType = keyof EngineRequests;

/** Page → engine. */
export type ToEngine =
  | { [T in RequestType]: { id: number; type: T; payload: EngineRequests[T] } }[RequestType]
  | { id: number; type: 'cancel' }
  | { id: number; type: 'pause' }
  | { id: number; type: 'resume' };

export interface LoadProgress {
  phase: 'download' | 'verify' | 'convert';
  /** Bytes so far and in all (download), or 0/1 for the other phases. */
  loaded: number;
  total: number;
  file?: string;
}

/** Engine → page. */
export type FromEngine =
  | { id: number; type: 'progress'; progress: LoadProgress }
  | { id: number; type: 'token'; token: GeneratedTokenMessage }
  | { id: number; type: 'benchRow'; row: BenchResult; done: number; total: number }
  | { id: number; type: 'trainProgress'; progress: TrainProgressMessage }
  | { id: number; type: 'analyzeProgress'; done: number; total: number }
  | { [T in RequestType]: { id: number; type: 'result'; request: T; result: EngineResults[T] } }[RequestType]
  | { id: number; type: 'error'; message: string };
