// How uneven one layer's expert load is, from the tokens each expert computed: the numbers lesson 6's
// widget and tests read off a training run. Pure functions on plain arrays.

/** Each expert's share of the routed rows, fᵢ (Switch Transformer eq. 5); zeros when nothing was routed. */
export function loadShares(expertTokens: readonly number[]): number[] {
  const total = expertTokens.reduce((a, b) => a + b, 0);
  return expertTokens.map((n) => (total > 0 ? n / total : 0));
}

/**
 * The busiest expert's load over the mean load: 1 when every expert gets the same, N when one gets all.
 * Capacity factors are in this unit: at factor c, an expert above c times the mean drops tokens.
 */
export function maxLoadRatio(expertTokens: readonly number[]): number {
  const shares = loadShares(expertTokens);
  return shares.length === 0 ? 0 : Math.max(...shares) * shares.length;
}

/** Experts that got fewer than `fraction` of an even share (1/N): the ones a collapsed router has abandoned. */
export function idleExperts(expertTokens: readonly number[], fraction = 0.1): number {
  const shares = loadShares(expertTokens);
  return shares.filter((s) => s < fraction / shares.length).length;
}

/**
 * N · Σᵢ fᵢ · Pᵢ for one layer (Switch Transformer eq. 4 without α, top-K as losses.ts counts it):
 * fᵢ = rows expert i computed / tokens, so the sum is K when every expert gets the same. With drops it
 * counts the rows kept, where the loss counts the choices made.
 */
export function switchBalance(expertTokens: readonly number[], meanProb: readonly number[], tokens: number): number {
  return expertTokens.length * expertTokens.reduce((sum, n, i) => sum + (n / tokens) * (meanProb[i] ?? 0), 0);
}
