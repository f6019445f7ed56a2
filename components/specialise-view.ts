// What lesson 7's widget shows, shaped from a routing analysis (models/moe/analyze.ts): rows of the genre ×
// expert table, how far two analyses differ, and the reader's text as chips. Arrangement only; the counting
// is the analysis's and the tagging the lexicon's (models/text/pos-lexicon.ts).
import type { PosClass, RoutingAnalysis } from '../models/moe/analyze.ts';
import { GENRES } from '../models/text/corpus.ts';

export interface GenreRow {
  code: string;
  name: string;
  tokens: number;
  /** Share of the genre's K routing slots held by each expert: [N]. */
  shares: number[];
  /** Total variation distance from the average load, in [0, 1]. */
  divergence: number;
}

/** One row per genre present, in the corpus's order, for `layer` (0-based). */
export function genreRows(analysis: RoutingAnalysis, layer: number): GenreRow[] {
  return GENRES.filter((g) => analysis.byGenre[g.code]).map((g) => {
    const load = analysis.byGenre[g.code]![layer]!;
    return {
      code: g.code,
      name: g.name,
      tokens: load.tokens,
      shares: load.topK,
      divergence: analysis.genreDivergence[g.code]?.[layer] ?? 0,
    };
  });
}

/** The largest difference, in share points, between two analyses' genre × expert shares in every layer. */
export function largestShareDifference(a: RoutingAnalysis, b: RoutingAnalysis): number {
  let worst = 0;
  for (const [genre, layers] of Object.entries(a.byGenre)) {
    const other = b.byGenre[genre];
    if (!other) return Infinity;
    layers.forEach((load, l) =>
      load.topK.forEach((s, e) => (worst = Math.max(worst, Math.abs(s - (other[l]?.topK[e] ?? NaN))))),
    );
  }
  return Number.isNaN(worst) ? Infinity : worst;
}

/** The largest difference, in share points, between two analyses' all-token loads (every layer and expert). */
export function largestOverallDifference(a: RoutingAnalysis, b: RoutingAnalysis): number {
  let worst = 0;
  a.overall.forEach((load, l) =>
    load.topK.forEach((s, e) => (worst = Math.max(worst, Math.abs(s - (b.overall[l]?.topK[e] ?? NaN))))),
  );
  return Number.isNaN(worst) ? Infinity : worst;
}

/** Short labels for the word classes, so a chip can carry its class as text (colour is never the only cue). */
export const POS_SHORT: Readonly<Record<PosClass, string>> = {
  noun: 'N',
  verb: 'V',
  adjective: 'Adj',
  adverb: 'Adv',
  pronoun: 'Pro',
  determiner: 'Det',
  preposition: 'Prep',
  conjunction: 'Conj',
  punctuation: 'Punct',
  number: 'Num',
  other: 'Oth',
};

/** One hue per class; chips mix it with the page's background so the text keeps its contrast in both themes. */
export const POS_COLOR: Readonly<Record<PosClass, string>> = {
  noun: '#4e79a7',
  verb: '#e15759',
  adjective: '#59a14f',
  adverb: '#b07aa1',
  pronoun: '#f28e2b',
  determiner: '#76b7b2',
  preposition: '#edc948',
  conjunction: '#9c755f',
  punctuation: '#8c8c8c',
  number: '#d37295',
  other: '#6b6ecf',
};

/** A share as a percentage with one decimal. */
export const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
