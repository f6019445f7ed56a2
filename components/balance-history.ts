// What lesson 6's widget keeps of a run: one row per progress message (the engine sends at most ten a second,
// each with the routing of its latest step) for the heatmap and the readouts, and every step's loss.
// Pure functions; the widget holds the state.
import type { TrainProgressMessage } from '../models/engine/protocol.ts';
import { loadShares, maxLoadRatio, switchBalance } from '../models/moe/load-balance.ts';

export interface BalanceRow {
  step: number;
  /** Per layer, each expert's share of the routed rows: [layers][N]. */
  shares: number[][];
  /** Per layer, the busiest expert's load over the mean. */
  maxLoad: number[];
  /** Per layer, the fraction of routed choices (tokens · K) the capacity dropped. */
  dropped: number[];
  entropy: number[];
  /** Per layer, N · Σᵢ fᵢ · Pᵢ: the balancing loss before α (K when even; models/moe/losses.ts). */
  balance: number[] | null;
}

export interface BalanceRun {
  losses: number[];
  rows: BalanceRow[];
  last: TrainProgressMessage | null;
}

export const emptyBalanceRun = (): BalanceRun => ({ losses: [], rows: [], last: null });

/** The run after one message, for steps of `tokens` tokens routed to `k` experts each. */
export function withBalanceProgress(run: BalanceRun, p: TrainProgressMessage, tokens: number, k: number): BalanceRun {
  const row: BalanceRow = {
    step: p.step,
    shares: p.expertTokens.map((layer) => loadShares(layer)),
    maxLoad: p.expertTokens.map((layer) => maxLoadRatio(layer)),
    dropped: p.droppedSlots.map((d) => d / (tokens * k)),
    entropy: p.routerEntropy,
    balance: p.routerMeanProb
      ? p.expertTokens.map((layer, l) => switchBalance(layer, p.routerMeanProb![l]!, tokens))
      : null,
  };
  const rows = run.rows.at(-1)?.step === p.step ? run.rows : [...run.rows, row];
  return { losses: [...run.losses, ...p.losses], rows, last: p };
}

/** The mean over the last `n` rows of one layer's max-load ratio: the widget's and the tests' imbalance. */
export function recentImbalance(run: BalanceRun, layer: number, n = 10): number | null {
  const rows = run.rows.slice(-n);
  if (rows.length === 0) return null;
  return rows.reduce((sum, r) => sum + r.maxLoad[layer]!, 0) / rows.length;
}
