import { integer, numberList, type Schema } from './url-state.ts';

/** Sizes of the lesson-1 toy layer. Widgets make the largest layer once and slice it (see firstExperts). */
export const GATE_LAYER = { maxExperts: 16, dModel: 4, dHidden: 8, seed: 2024, scale: 3, xMin: -3, xMax: 3 } as const;

export interface GateState {
  /** Number of experts N. */
  n: number;
  /** Experts chosen per token, 1 ≤ K ≤ N. */
  k: number;
  /** The token's hidden vector. */
  x: number[];
}

export const gateSchema: Schema<GateState> = {
  prefix: 'gate',
  fields: {
    n: integer({ label: 'The number of experts', min: 1, max: GATE_LAYER.maxExperts, default: 8 }),
    k: integer({ label: 'K', min: 1, max: GATE_LAYER.maxExperts, default: 2 }),
    x: numberList({
      label: 'The input x',
      length: GATE_LAYER.dModel,
      min: GATE_LAYER.xMin,
      max: GATE_LAYER.xMax,
      default: [0.8, -0.5, 1.2, 0.3],
    }),
  },
  reconcile(state) {
    if (state.k <= state.n) return { state, problems: [] };
    return {
      state: { ...state, k: state.n },
      problems: [`K cannot exceed the number of experts (${state.n}); the link had ${state.k}, so K is ${state.n}.`],
    };
  },
};
