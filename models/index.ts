// The public API of MoE Lab's model code: what a script or a notebook imports. Everything in models/ except
// models/node/ runs in Node and in a browser worker (no DOM); the folders follow the course:
//   moe/ the MoE layer (lesson 1) · nn/ the transformer around it (lesson 2) · generation/ and engine/ the
//   model in the browser (lesson 3) · accounting/ parameters, FLOPs, memory, benchmarks (lessons 2 and 4) ·
//   text/ corpus and tokenizer · checkpoint/ Hugging Face files · training/ the optimiser and the loop.

// The facade: load or create a model, then route, generate, measure, train, save.
export { Lab } from './lab.ts';
export type {
  CheckpointSource,
  LabOptions,
  LabToken,
  Routed,
  LabGenerateOptions,
  GeneratedStep,
  HeldOutLoss,
  LabMemory,
  SaveOptions,
} from './lab.ts';
export type { TrainOptions, TrainProgress, Training } from './training/trainer.ts';
export type { LayerRouting } from './nn/transformer.ts';
export type { MixtralConfig } from './nn/config.ts';
export type { BackendName } from './runtime/backends.ts';
export { BACKEND_PREFERENCE } from './runtime/backends.ts';

// Lesson 1 on plain arrays: the MoE equation y = Σᵢ G(x)ᵢ Eᵢ(x), softmax gating, top-K, SwiGLU experts.
export { softmax, topK, mixtralGate, swiglu, moeForward, randomMoEParams } from './moe/gate.ts';
export { checkK } from './moe/check-k.ts';
export { seededRandom } from './random.ts';

// Counting, from any Hugging Face config.json: parameters, FLOPs per token, memory.
export { countParameters } from './accounting/params.ts';
export type { ParamReport } from './accounting/params.ts';
export { flopsPerToken, moeParams } from './accounting/flops.ts';
export type { TokenFlops } from './accounting/flops.ts';
export { estimateMemory, kvCacheBytes } from './accounting/memory.ts';
export { MODEL_PRESETS, presetById } from './accounting/presets/index.ts';

// Data for training: the token stream a run reads, cut from documents joined by <|endoftext|>.
export { concatDocuments } from './text/batches.ts';
export { Tokenizer } from './text/tokenizer.ts';
