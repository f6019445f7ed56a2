/**
 * Byte-pair encoding, the training half (Sennrich et al. 2016, "Neural Machine Translation of Rare
 * Words with Subword Units", Algorithm 1): start from single symbols and repeatedly merge the most
 * frequent adjacent pair into a new symbol until the vocabulary is full.
 *
 * It works on unique words with their counts (the pre-tokens of the training text), not on the text
 * itself, and keeps pair counts up to date as merges happen instead of recounting, so that a
 * thousand merges over the Brown Corpus take seconds. Symbols here are plain strings; the byte-level
 * mapping that makes every input representable lives in tokenizer.ts.
 */

export interface BpeTrainingConfig {
  /** Target size of the vocabulary, special tokens and the alphabet included. */
  readonly vocabSize: number;
  /** Symbols every word is spelled in. A word with a symbol outside it is an error. */
  readonly alphabet: readonly string[];
  /** Tokens given the first ids (e.g. `<|endoftext|>`); never merged. */
  readonly specialTokens?: readonly string[];
  /** Stop early when the most frequent pair occurs fewer times than this (default 2). */
  readonly minFrequency?: number;
}

export interface BpeModel {
  /** Token → id: special tokens, then the alphabet in code-point order, then each merge's result. */
  readonly vocab: ReadonlyMap<string, number>;
  /** Merges in the order they were learned, which is also the order encoding applies them. */
  readonly merges: readonly (readonly [string, string])[];
}

/** Ids stay below 2^16, so a pair of ids packs into one exact double. */
const MAX_VOCAB = 1 << 16;
const pairKey = (left: number, right: number): number => left * MAX_VOCAB + right;

interface HeapEntry {
  count: number;
  left: number;
  right: number;
}

/**
 * The pair to merge next: most frequent; on a tie the one whose left id is smaller, then the right
 * id (the rule the Hugging Face trainer uses), so that training is deterministic.
 */
function before(a: HeapEntry, b: HeapEntry): boolean {
  if (a.count !== b.count) return a.count > b.count;
  if (a.left !== b.left) return a.left < b.left;
  return a.right < b.right;
}

/** A binary heap ordered by `before`. */
class PairQueue {
  private readonly items: HeapEntry[] = [];

  get size(): number {
    return this.items.length;
  }

  push(entry: HeapEntry): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): HeapEntry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < items.length && before(items[l]!, items[best]!)) best = l;
        if (r < items.length && before(items[r]!, items[best]!)) best = r;
        if (best === i) break;
        [items[i], items[best]] = [items[best]!, items[i]!];
        i = best;
      }
    }
    return top;
  }
}

/** Replaces each non-overlapping (left, right), scanning left to right, with `merged`. */
export function mergePair(symbols: readonly number[], left: number, right: number, merged: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (symbols[i] === left && symbols[i + 1] === right) {
      out.push(merged);
      i++;
    } else {
      out.push(symbols[i]!);
    }
  }
  return out;
}

function validate(config: BpeTrainingConfig): void {
  const { vocabSize, alphabet, specialTokens = [] } = config;
  const base = new Set([...alphabet, ...specialTokens]).size;
  if (base !== alphabet.length + specialTokens.length) {
    throw new RangeError('The alphabet and the special tokens must not repeat a symbol.');
  }
  if (!Number.isInteger(vocabSize) || vocabSize < base || vocabSize > MAX_VOCAB) {
    throw new RangeError(
      `The vocabulary size must be a whole number from ${base} (the alphabet and special tokens) to ${MAX_VOCAB}; got ${vocabSize}.`,
    );
  }
  for (const symbol of alphabet) {
    if ([...symbol].length !== 1) throw new RangeError(`Alphabet symbols must be single characters; got "${symbol}".`);
  }
}

/**
 * Learns merges from `wordCounts` (each word spelled in `config.alphabet`, e.g. the byte-level
 * pre-tokens of a corpus with how often each occurs).
 */
export function trainBpe(wordCounts: ReadonlyMap<string, number>, config: BpeTrainingConfig): BpeModel {
  validate(config);
  const { vocabSize, minFrequency = 2 } = config;
  const idOf = new Map<string, number>();
  const tokens: string[] = [];
  const addToken = (token: string): number => {
    const existing = idOf.get(token);
    if (existing !== undefined) return existing;
    idOf.set(token, tokens.length);
    tokens.push(token);
    return tokens.length - 1;
  };
  for (const special of config.specialTokens ?? []) addToken(special);
  const byCodePoint = (a: string, b: string): number => a.codePointAt(0)! - b.codePointAt(0)!;
  for (const symbol of [...config.alphabet].sort(byCodePoint)) addToken(symbol);

  // Each unique word as symbol ids, with its count.
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [word, count] of wordCounts) {
    words.push(
      [...word].map((ch) => {
        const id = idOf.get(ch);
        if (id === undefined || (config.specialTokens ?? []).includes(ch)) {
          throw new RangeError(`The word "${word}" has the symbol "${ch}", which is not in the alphabet.`);
        }
        return id;
      }),
    );
    counts.push(count);
  }

  // pairCounts: how often each adjacent pair occurs, weighted by word count.
  // wordsWith: the words that contain the pair (may list words that since lost it; they are skipped).
  const pairCounts = new Map<number, number>();
  const wordsWith = new Map<number, Set<number>>();
  const addPairs = (w: number, sign: 1 | -1, touched?: Set<number>): void => {
    const symbols = words[w]!;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = pairKey(symbols[i]!, symbols[i + 1]!);
      const next = (pairCounts.get(key) ?? 0) + sign * counts[w]!;
      if (next === 0) pairCounts.delete(key);
      else pairCounts.set(key, next);
      if (sign === 1) {
        let set = wordsWith.get(key);
        if (!set) wordsWith.set(key, (set = new Set()));
        set.add(w);
        touched?.add(key);
      }
    }
  };
  for (let w = 0; w < words.length; w++) addPairs(w, 1);

  const queue = new PairQueue();
  const enqueue = (key: number): void => {
    const count = pairCounts.get(key);
    if (count !== undefined) queue.push({ count, left: Math.floor(key / MAX_VOCAB), right: key % MAX_VOCAB });
  };
  for (const key of pairCounts.keys()) enqueue(key);

  const merges: [string, string][] = [];
  while (tokens.length < vocabSize && queue.size > 0) {
    const top = queue.pop()!;
    const key = pairKey(top.left, top.right);
    const current = pairCounts.get(key) ?? 0;
    // Stale entry: the pair lost occurrences to earlier merges. Counts of old pairs only ever fall,
    // so re-queueing at the current count keeps the heap's top the true maximum.
    if (current !== top.count) {
      if (current > 0) queue.push({ ...top, count: current });
      continue;
    }
    if (current < minFrequency) break;
    const merged = addToken(tokens[top.left]! + tokens[top.right]!);
    merges.push([tokens[top.left]!, tokens[top.right]!]);
    const touched = new Set<number>();
    for (const w of wordsWith.get(key) ?? []) {
      addPairs(w, -1);
      words[w] = mergePair(words[w]!, top.left, top.right, merged);
      addPairs(w, 1, touched);
    }
    wordsWith.delete(key);
    // Only pairs with the new token can have gained occurrences; queue those at their new counts.
    for (const t of touched) if (Math.floor(t / MAX_VOCAB) === merged || t % MAX_VOCAB === merged) enqueue(t);
  }
  return { vocab: new Map(idOf), merges };
}
