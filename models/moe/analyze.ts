// Routing statistics for a trained model, on plain arrays: which experts tokens go to, per genre (the
// miniature of Mixtral's Figure 7), per part of speech (the miniature of ST-MoE's token-specialisation
// table), and how often consecutive tokens share an expert (Mixtral §5, Table 5). JSON in, JSON out.

/** Eleven coarse word classes, in the order tables list them. */
export const POS_CLASSES = [
  'noun',
  'verb',
  'adjective',
  'adverb',
  'pronoun',
  'determiner',
  'preposition',
  'conjunction',
  'punctuation',
  'number',
  'other',
] as const;
export type PosClass = (typeof POS_CLASSES)[number];

/**
 * Brown tag (base form) → class. The Brown tagset has ~80 base tags (Francis & Kučera 1979); we group them:
 * - noun: nn nns nn$ nns$ np nps np$ nps$ nr nrs nr$ (common, proper and adverbial nouns such as "home")
 * - verb: vb* be* hv* do* md (every form of be/have/do, and modals)
 * - adjective: jj jjr jjs jjt
 * - adverb: rb rbr rbt rn rp ql qlp wrb * (particles such as "up", qualifiers such as "very", wh-adverbs,
 *   and the negator "not", which Brown tags `*`)
 * - pronoun: pn pn$ pp$ pp$$ ppl ppls ppo pps ppss wpo wps wp$ ex (incl. possessive pronouns and "there")
 * - determiner: at ap abl abn abx dt dti dts dtx wdt (articles, "all", "both", "this", "which")
 * - preposition: in to ("to" is one tag for the preposition and the infinitive marker)
 * - conjunction: cc cs
 * - punctuation: the tags that are punctuation themselves (. , : ; ( ) -- '' `` ')
 * - number: cd od (cardinals and ordinals)
 * - other: uh (interjections), nil, fw (foreign words), and anything not listed
 */
const CLASS_OF_TAG: Readonly<Record<string, PosClass>> = {
  ...tags('noun', 'nn nns nn$ nns$ np nps np$ nps$ nr nrs nr$'),
  ...tags('verb', 'vb vbd vbg vbn vbz be bed bedz beg bem ben ber bez hv hvd hvg hvn hvz do dod doz md'),
  ...tags('adjective', 'jj jjr jjs jjt'),
  ...tags('adverb', 'rb rbr rbt rn rp ql qlp wrb *'),
  ...tags('pronoun', 'pn pn$ pp$ pp$$ ppl ppls ppo pps ppss wpo wps wp$ ex'),
  ...tags('determiner', 'at ap abl abn abx dt dti dts dtx wdt'),
  ...tags('preposition', 'in to'),
  ...tags('conjunction', 'cc cs'),
  ...tags('punctuation', ". , : ; ( ) -- '' `` '"),
  ...tags('number', 'cd od'),
};

function tags(cls: PosClass, list: string): Record<string, PosClass> {
  return Object.fromEntries(list.split(' ').map((t) => [t, cls]));
}

/**
 * A Brown tag with its decorations → a class. Suffixes mark headlines (-hl), titles (-tl) and cited words
 * (-nc); `fw-` marks a foreign word (classed by the tag after it); `+` joins contractions ("he's" = pps+bez),
 * classed by their first part.
 */
export function posClassOfTag(tag: string): PosClass {
  let base = tag.toLowerCase();
  if (base.startsWith('fw-')) base = base.slice(3);
  base = base.split('+')[0]!.replace(/-(hl|tl|nc)\b/g, '');
  // A trailing * marks a negated form ("wasn't" = bedz*); alone, * is "not" itself.
  if (base.length > 1 && base.endsWith('*')) base = base.slice(0, -1);
  if (base === '') return 'other';
  return CLASS_OF_TAG[base] ?? 'other';
}

/** One analysed sequence (a row of a batch): its tokens' routing in every layer and what each token is. */
export interface RoutedSequence {
  /** Per layer, the experts chosen for each token, best first: [layers][tokens · k]. */
  expertIndex: Int32Array[];
  /** The genre code of each token's document: [tokens]. */
  genre: string[];
  /** Each token's word class, or null for a token that belongs to no word (a newline, <|endoftext|>): [tokens]. */
  posClass: (PosClass | null)[];
  /** The token ids, when known: they let the analysis list the actual tokens each expert over-receives. [tokens] */
  ids?: ArrayLike<number>;
}

/** Where one group of tokens went in one layer. Shares sum to 1 over experts. */
export interface ExpertLoad {
  tokens: number;
  /** Share of tokens whose first choice is each expert: [numExperts]. */
  top1: number[];
  /**
   * Share of the tokens' K routing slots held by each expert: [numExperts]. This is Mixtral Figure 7's
   * "selected as a first or second choice", normalised so that uniform routing gives 1/N.
   */
  topK: number[];
}

export interface Repetition {
  /** Consecutive token pairs counted (within a sequence). */
  pairs: number;
  /** Share of pairs whose first choices are the same expert. */
  firstChoice: number;
  /** Share of pairs whose K chosen experts overlap in at least one expert (Mixtral's "first or second choice"). */
  anyChoice: number;
}

/** The whole analysis, one entry per layer in every array. */
export interface RoutingAnalysis {
  numExperts: number;
  topK: number;
  numLayers: number;
  tokens: number;
  /** 1/N: the share every expert would get under uniform routing (Figure 7's dashed line). */
  uniformShare: number;
  overall: ExpertLoad[];
  byGenre: Record<string, ExpertLoad[]>;
  byPosClass: Partial<Record<PosClass, ExpertLoad[]>>;
  /**
   * How far each group's top-K load is from the overall load: total variation distance ½Σ|pᵢ − qᵢ|, in [0, 1].
   * 0 = routed exactly like the average token. Per layer.
   */
  genreDivergence: Record<string, number[]>;
  posDivergence: Partial<Record<PosClass, number[]>>;
  /** Per layer, per expert: the word class most over-represented among its first-choice tokens, and by how much. */
  expertSpecialisation: { expert: number; tokens: number; topClass: PosClass | null; lift: number }[][];
  /**
   * Per layer, per expert: the word classes and token ids it receives most over its share as a first choice,
   * with the counts behind each factor (the miniature of ST-MoE's token table). Token ids only when the
   * sequences carried `ids`.
   */
  expertEnrichment: ExpertEnrichment[][];
  repetition: {
    overall: Repetition[];
    byGenre: Record<string, Repetition[]>;
    /** What uniformly random routing would give: 1/N for the first choice, 1 − C(N−K, K)/C(N, K) for any choice. */
    random: { firstChoice: number; anyChoice: number };
  };
}

/** One word class at one expert: lift = P(class | expert) / P(class) = P(expert | class) / P(expert). */
export interface ClassEnrichment {
  posClass: PosClass;
  /** First-choice tokens of this class at this expert. */
  count: number;
  /** Tokens of this class in all. */
  classTokens: number;
  lift: number;
}

/** One token id at one expert: lift = P(expert | token) / P(expert), over all tokens. */
export interface TokenEnrichment {
  id: number;
  /** Its text, when the caller could decode it (`AnalyzeRoutingOptions.tokenText`). */
  text: string;
  /** Times this token's first choice was this expert. */
  count: number;
  /** Times the token occurred. */
  total: number;
  lift: number;
}

export interface ExpertEnrichment {
  expert: number;
  /** First-choice tokens at this expert (all tokens, with or without a word class). */
  tokens: number;
  /** The classes with the largest lift, best first (at most ENRICHMENT_LIST). */
  classes: ClassEnrichment[];
  /** The token ids with the largest lift among those seen at least MIN_TOKEN_OCCURRENCES times, best first. */
  tokenIds: TokenEnrichment[];
}

/** Entries each enrichment list keeps. */
export const ENRICHMENT_LIST = 5;
/**
 * A token id must occur this often before its lift is listed: with fewer, one or two lucky routings give a
 * large factor that means nothing (a token seen 3 times, 2 of them at one expert of 8, has lift 5.3).
 */
export const MIN_TOKEN_OCCURRENCES = 20;

export interface AnalyzeRoutingOptions {
  /** A token id's text, for the enrichment tables. */
  tokenText?: (id: number) => string;
}

function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/**
 * The chance that two tokens routed uniformly at random share an expert: first choices agree with
 * probability 1/N; two random K-subsets of N overlap with probability 1 − C(N−K, K)/C(N, K). For Mixtral's
 * N = 8, K = 2 that is 12.5 % and 1 − 15/28 ≈ 46 %, the reference values of its Table 5.
 */
export function randomRepetition(numExperts: number, topK: number): { firstChoice: number; anyChoice: number } {
  return {
    firstChoice: 1 / numExperts,
    anyChoice: 1 - binomial(numExperts - topK, topK) / binomial(numExperts, topK),
  };
}

/** Counts for one group in one layer, before normalising. */
interface LoadCounts {
  tokens: number;
  top1: Float64Array;
  topK: Float64Array;
}

function newCounts(numExperts: number): LoadCounts {
  return { tokens: 0, top1: new Float64Array(numExperts), topK: new Float64Array(numExperts) };
}

function toLoad(c: LoadCounts, topK: number): ExpertLoad {
  const t = Math.max(c.tokens, 1);
  return { tokens: c.tokens, top1: [...c.top1].map((x) => x / t), topK: [...c.topK].map((x) => x / (t * topK)) };
}

function totalVariation(p: readonly number[], q: readonly number[]): number {
  return 0.5 * p.reduce((s, pi, i) => s + Math.abs(pi - q[i]!), 0);
}

interface RepetitionCounts {
  pairs: number;
  first: number;
  any: number;
}

function toRepetition(c: RepetitionCounts): Repetition {
  const p = Math.max(c.pairs, 1);
  return { pairs: c.pairs, firstChoice: c.first / p, anyChoice: c.any / p };
}

/**
 * Aggregates routing over `sequences`. Tokens with a null class count towards genre loads and repetition
 * but not the part-of-speech tables. Consecutive pairs never span two sequences.
 */
export function analyzeRouting(
  sequences: readonly RoutedSequence[],
  numExperts: number,
  topK: number,
  options: AnalyzeRoutingOptions = {},
): RoutingAnalysis {
  const numLayers = sequences[0]?.expertIndex.length ?? 0;
  const perLayer = <T>(make: () => T): T[] => Array.from({ length: numLayers }, make);
  const overall = perLayer(() => newCounts(numExperts));
  const byGenre = new Map<string, LoadCounts[]>();
  const byPos = new Map<PosClass, LoadCounts[]>();
  const repOverall = perLayer<RepetitionCounts>(() => ({ pairs: 0, first: 0, any: 0 }));
  const repGenre = new Map<string, RepetitionCounts[]>();
  // Per layer: token id → first choices per expert, [N].
  const byId = perLayer(() => new Map<number, Float64Array>());
  let tokens = 0;

  for (const seq of sequences) {
    const n = seq.genre.length;
    if (seq.expertIndex.length !== numLayers || seq.posClass.length !== n) {
      throw new Error('Every sequence needs one expertIndex per layer and one genre and class per token.');
    }
    tokens += n;
    for (let layer = 0; layer < numLayers; layer++) {
      const experts = seq.expertIndex[layer]!;
      if (experts.length !== n * topK) {
        throw new Error(
          `Layer ${layer} has ${experts.length} choices for ${n} tokens; expected tokens × K = ${n * topK}.`,
        );
      }
      for (let t = 0; t < n; t++) {
        const genre = seq.genre[t]!;
        const cls = seq.posClass[t];
        if (!byGenre.has(genre))
          byGenre.set(
            genre,
            perLayer(() => newCounts(numExperts)),
          );
        const groups = [overall[layer]!, byGenre.get(genre)![layer]!];
        if (cls) {
          if (!byPos.has(cls))
            byPos.set(
              cls,
              perLayer(() => newCounts(numExperts)),
            );
          groups.push(byPos.get(cls)![layer]!);
        }
        if (seq.ids) {
          const id = seq.ids[t]!;
          let row = byId[layer]!.get(id);
          if (!row) byId[layer]!.set(id, (row = new Float64Array(numExperts)));
          row[experts[t * topK]!]! += 1;
        }
        for (const g of groups) {
          g.tokens += 1;
          g.top1[experts[t * topK]!]! += 1;
          for (let j = 0; j < topK; j++) g.topK[experts[t * topK + j]!]! += 1;
        }
        if (t + 1 < n) {
          const here = experts.subarray(t * topK, (t + 1) * topK);
          const next = experts.subarray((t + 1) * topK, (t + 2) * topK);
          const first = here[0] === next[0] ? 1 : 0;
          const any = here.some((e) => next.includes(e)) ? 1 : 0;
          if (!repGenre.has(genre))
            repGenre.set(
              genre,
              perLayer(() => ({ pairs: 0, first: 0, any: 0 })),
            );
          for (const r of [repOverall[layer]!, repGenre.get(genre)![layer]!]) {
            r.pairs += 1;
            r.first += first;
            r.any += any;
          }
        }
      }
    }
  }

  const overallLoad = overall.map((c) => toLoad(c, topK));
  const mapLoads = <K extends string>(m: Map<K, LoadCounts[]>, order: readonly K[]) =>
    Object.fromEntries(order.filter((k) => m.has(k)).map((k) => [k, m.get(k)!.map((c) => toLoad(c, topK))])) as Record<
      K,
      ExpertLoad[]
    >;
  const genres = [...byGenre.keys()].sort();
  const genreLoads = mapLoads(byGenre, genres);
  const posLoads = mapLoads(byPos, POS_CLASSES);
  const divergence = <K extends string>(loads: Record<K, ExpertLoad[]>) =>
    Object.fromEntries(
      (Object.entries(loads) as [K, ExpertLoad[]][]).map(([k, ls]) => [
        k,
        ls.map((l, layer) => totalVariation(l.topK, overallLoad[layer]!.topK)),
      ]),
    ) as Record<K, number[]>;

  return {
    numExperts,
    topK,
    numLayers,
    tokens,
    uniformShare: 1 / numExperts,
    overall: overallLoad,
    byGenre: genreLoads,
    byPosClass: posLoads,
    genreDivergence: divergence(genreLoads),
    posDivergence: divergence(posLoads),
    expertSpecialisation: perLayer(() => null).map((_, layer) => specialisation(byPos, layer, numExperts)),
    expertEnrichment: overall.map((counts, layer) =>
      enrichment(byPos, byId[layer]!, counts, layer, numExperts, options.tokenText),
    ),
    repetition: {
      overall: repOverall.map(toRepetition),
      byGenre: Object.fromEntries(
        genres.filter((g) => repGenre.has(g)).map((g) => [g, repGenre.get(g)!.map(toRepetition)]),
      ),
      random: randomRepetition(numExperts, topK),
    },
  };
}

/**
 * For each expert: among the tokens whose first choice it is, the class with the largest lift
 * P(class | expert) / P(class) — "expert 3 takes 2.4× its share of punctuation". Only word-class tokens count.
 */
function specialisation(
  byPos: Map<PosClass, LoadCounts[]>,
  layer: number,
  numExperts: number,
): { expert: number; tokens: number; topClass: PosClass | null; lift: number }[] {
  const classes = [...byPos.keys()];
  const total = classes.reduce((s, c) => s + byPos.get(c)![layer]!.tokens, 0);
  return Array.from({ length: numExperts }, (_, e) => {
    const expertTokens = classes.reduce((s, c) => s + byPos.get(c)![layer]!.top1[e]!, 0);
    let best: { topClass: PosClass | null; lift: number } = { topClass: null, lift: 0 };
    if (expertTokens > 0) {
      for (const c of classes) {
        const counts = byPos.get(c)![layer]!;
        const lift = counts.top1[e]! / expertTokens / (counts.tokens / total);
        if (lift > best.lift) best = { topClass: c, lift };
      }
    }
    return { expert: e, tokens: expertTokens, ...best };
  });
}

/** Per expert, the classes and token ids it over-receives as a first choice, with their counts. */
function enrichment(
  byPos: Map<PosClass, LoadCounts[]>,
  byId: Map<number, Float64Array>,
  overall: LoadCounts,
  layer: number,
  numExperts: number,
  tokenText: ((id: number) => string) | undefined,
): ExpertEnrichment[] {
  const classes = [...byPos.keys()];
  const classTotal = classes.reduce((s, c) => s + byPos.get(c)![layer]!.tokens, 0);
  const frequent = [...byId].filter(([, row]) => row.reduce((a, b) => a + b, 0) >= MIN_TOKEN_OCCURRENCES);
  return Array.from({ length: numExperts }, (_, e) => {
    const wordTokensHere = classes.reduce((s, c) => s + byPos.get(c)![layer]!.top1[e]!, 0);
    const classList: ClassEnrichment[] =
      wordTokensHere === 0
        ? []
        : classes.map((c) => {
            const counts = byPos.get(c)![layer]!;
            const count = counts.top1[e]!;
            return {
              posClass: c,
              count,
              classTokens: counts.tokens,
              lift: count / wordTokensHere / (counts.tokens / classTotal),
            };
          });
    const share = overall.tokens > 0 ? overall.top1[e]! / overall.tokens : 0;
    const idList: TokenEnrichment[] =
      share === 0
        ? []
        : frequent.map(([id, row]) => {
            const total = row.reduce((a, b) => a + b, 0);
            return { id, text: tokenText?.(id) ?? '', count: row[e]!, total, lift: row[e]! / total / share };
          });
    const best = <T extends { lift: number; count: number }>(list: T[]): T[] =>
      list
        .filter((x) => x.count > 0)
        .sort((a, b) => b.lift - a.lift || b.count - a.count)
        .slice(0, ENRICHMENT_LIST);
    return { expert: e, tokens: overall.top1[e]!, classes: best(classList), tokenIds: best(idList) };
  });
}

/**
 * Each token's word class from the corpus words it overlaps: `tokenWord[i]` is the index into `wordTags` of
 * token i's word, −1 for none (as `tokenToWord` in models/text/tokenizer.ts returns).
 */
export function tokenPosClasses(tokenWord: readonly number[], wordTags: readonly string[]): (PosClass | null)[] {
  return tokenWord.map((w) => (w < 0 ? null : posClassOfTag(wordTags[w]!)));
}
