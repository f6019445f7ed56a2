// Public API of the MoE model code. Runs in Node and in a browser worker; no DOM.

export { setupBackend, patchKernels } from './runtime/backend.ts';
export type { BackendName } from './runtime/backend.ts';
export { gateLogits, denseSoftmaxGate, topKGate, switchGate, noisyTopKGate, selectTopK, checkK } from './moe/router.ts';
export type { Routing, TopKOptions } from './moe/router.ts';
export { swiGLU, groupedSwiGLU, initExperts, linearWeight } from './moe/experts.ts';
export { groupedMatMul } from './moe/grouped-matmul.ts';
export type { ExpertWeights } from './moe/experts.ts';
export { planDispatch, expertCapacity, sparseMoe, denseMaskedMoeBaseline } from './moe/dispatch.ts';
export type { DispatchPlan } from './moe/dispatch.ts';
export { loadBalancingLoss, routerZLoss, updateSelectionBias } from './moe/losses.ts';
export { expertParams, moeParams, moeForwardFlops } from './accounting/flops.ts';
export type { MoeSize, ParamCount } from './accounting/flops.ts';
export { moeLayer, initMoeParams, resolveMoeConfig } from './moe/moe-layer.ts';
export type { GateKind, MoeConfig, MoeParams, MoeForwardOptions, MoeOutput, RoutingStats } from './moe/moe-layer.ts';

// The Mixtral transformer: config, weights, forward pass, generation.
export { parseMixtralConfig, mixtralTensorSpecs, headDim } from './nn/config.ts';
export type { MixtralConfig, TensorSpec } from './nn/config.ts';
export {
  initMixtral,
  mixtralForward,
  mixtralForwardAsync,
  mixtralFromTensors,
  mixtralToTensors,
  disposeModel,
  emptyCache,
  disposeCache,
  moeConfigOf,
} from './nn/transformer.ts';
export type { MixtralModel, ForwardOptions, ForwardResult, KVCache, LayerRouting, HostTensor } from './nn/transformer.ts';
export { rmsNorm } from './nn/rmsnorm.ts';
export { ropeTables, applyRope, rotateHalf } from './nn/rope.ts';
export { selfAttention, causalMask } from './nn/attention.ts';
export { generateTokens } from './generation/generate.ts';
export type { GenerateOptions, GeneratedToken } from './generation/generate.ts';
export { sampleToken, argmax } from './generation/sample.ts';
export type { SamplingOptions } from './generation/sample.ts';

// Text: the Brown Corpus and the byte-level BPE tokenizer.
export { Tokenizer, tokenToWord, trainTokenizer } from './text/tokenizer.ts';
export { GENRES, genreOf, universalTag } from './text/corpus.ts';
export type { CorpusDocument, WordSpan } from './text/corpus.ts';

// Checkpoints: safetensors and verified checkpoint directories (as bytes; Node's fs helpers live in scripts/).
export { loadCheckpoint, saveCheckpoint, sha256Hex } from './checkpoint/checkpoint.ts';
export type { Checkpoint, CheckpointManifest } from './checkpoint/checkpoint.ts';
export { decodeSafetensors, encodeSafetensors } from './checkpoint/safetensors.ts';

// Training and analysis.
export { AdamW, learningRate, clipByGlobalNorm } from './training/optim.ts';
export { trainStep, evaluate, crossEntropy, tokenNll } from './training/train.ts';
export { analyzeRouting, posClassOfTag } from './moe/analyze.ts';

// Counting: parameters, memory, FLOPs, and the pure-array gate math of lesson 1.
export { countParameters } from './accounting/params.ts';
export type { ParamReport, ParamBreakdown } from './accounting/params.ts';
export { estimateMemory, kvCacheBytes, weightBytes } from './accounting/memory.ts';
export { benchmarkCase } from './accounting/bench.ts';
export type { BenchCase, BenchResult } from './accounting/bench.ts';
export * as gateMath from './moe/gate.ts';
