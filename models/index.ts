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
