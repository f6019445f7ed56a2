// Public API of the MoE model code. Runs in Node and in a browser worker; no DOM.

export { setupBackend, patchKernels } from './backend.ts';
export type { BackendName } from './backend.ts';
export { gateLogits, denseSoftmaxGate, topKGate, switchGate, noisyTopKGate, selectTopK, checkK } from './router.ts';
export type { Routing, TopKOptions } from './router.ts';
export { swiGLU, groupedSwiGLU, initExperts, linearWeight } from './experts.ts';
export { groupedMatMul } from './grouped-matmul.ts';
export type { ExpertWeights } from './experts.ts';
export { planDispatch, expertCapacity, sparseMoe, denseMaskedMoeBaseline } from './dispatch.ts';
export type { DispatchPlan } from './dispatch.ts';
export { loadBalancingLoss, routerZLoss, updateSelectionBias } from './losses.ts';
export { expertParams, moeParams, moeForwardFlops } from './flops.ts';
export type { MoeSize, ParamCount } from './flops.ts';
export { moeLayer, initMoeParams, resolveMoeConfig } from './moe-layer.ts';
export type { GateKind, MoeConfig, MoeParams, MoeForwardOptions, MoeOutput, RoutingStats } from './moe-layer.ts';

// The Mixtral transformer: config, weights, forward pass, generation.
export { parseMixtralConfig, mixtralTensorSpecs, headDim } from './config.ts';
export type { MixtralConfig, TensorSpec } from './config.ts';
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
} from './transformer.ts';
export type { MixtralModel, ForwardOptions, ForwardResult, KVCache, LayerRouting, HostTensor } from './transformer.ts';
export { rmsNorm } from './rmsnorm.ts';
export { ropeTables, applyRope, rotateHalf } from './rope.ts';
export { selfAttention, causalMask } from './attention.ts';
export { generateTokens } from './generate.ts';
export type { GenerateOptions, GeneratedToken } from './generate.ts';
export { sampleToken, argmax } from './sample.ts';
export type { SamplingOptions } from './sample.ts';

// Text: the Brown Corpus and the byte-level BPE tokenizer.
export { Tokenizer, tokenToWord, trainTokenizer } from './tokenizer.ts';
export { GENRES, genreOf, universalTag } from './corpus.ts';
export type { CorpusDocument, WordSpan } from './corpus.ts';

// Checkpoints: safetensors and verified checkpoint directories (as bytes; Node's fs helpers live in scripts/).
export { loadCheckpoint, saveCheckpoint, sha256Hex } from './checkpoint.ts';
export type { Checkpoint, CheckpointManifest } from './checkpoint.ts';
export { decodeSafetensors, encodeSafetensors } from './safetensors.ts';

// Training and analysis.
export { AdamW, learningRate, clipByGlobalNorm } from './optim.ts';
export { trainStep, evaluate, crossEntropy, tokenNll } from './train.ts';
export { analyzeRouting, posClassOfTag } from './analyze.ts';

// Counting: parameters, memory, FLOPs, and the pure-array gate math of lesson 1.
export { countParameters } from './params.ts';
export type { ParamReport, ParamBreakdown } from './params.ts';
export { estimateMemory, kvCacheBytes, weightBytes } from './memory.ts';
export { benchmarkCase } from './bench.ts';
export type { BenchCase, BenchResult } from './bench.ts';
export * as gateMath from './gate.ts';
