// A reader's own words have no Brown tags, so the page guesses each word's class from a small lexicon: the
// most frequent word forms of the Brown training split, each with the class it most often has there.
// `npm run moe -- data` builds it (pos-lexicon.json) and measures it on the test split: how many of the
// test words it knows, and how often its class is the corpus's own. Unknown words get no class; numbers
// written in digits are classed by that rule, not by the lexicon. Pure: runs in a browser.
import { POS_CLASSES, posClassOfTag, type PosClass } from '../moe/analyze.ts';

export interface PosLexicon {
  format: 'moe-lab-pos-lexicon';
  version: 1;
  source: string;
  /** Words per class, lower-case, space-separated (one string per class keeps the file small). */
  words: Partial<Record<PosClass, string>>;
  /** Measured on the test split's words when the lexicon was built. */
  measured: { entries: number; testWords: number; known: number; correctWhenKnown: number };
}

/** Word forms the lexicon keeps: enough to know most running words, few enough to stay a small download. */
export const LEXICON_WORDS = 5000;

/** How a reader's text is cut into words: letters (with inner hyphens and apostrophes), digits, or one symbol. */
const WORD = /[A-Za-z]+(?:['’-][A-Za-z]+)*|\d+(?:[.,:]\d+)*|[^\sA-Za-z\d]/g;

const key = (word: string): string => word.toLowerCase().replace(/’/g, "'");

/** The lexicon from tagged words: each of the `size` most frequent forms with its most frequent class. */
export function buildPosLexicon(
  trainWords: Iterable<{ word: string; tag: string }>,
  testWords: Iterable<{ word: string; tag: string }>,
  source: string,
  size: number = LEXICON_WORDS,
): PosLexicon {
  const counts = new Map<string, Map<PosClass, number>>();
  const totals = new Map<string, number>();
  for (const { word, tag } of trainWords) {
    const k = key(word);
    const cls = posClassOfTag(tag);
    const row = counts.get(k) ?? new Map<PosClass, number>();
    row.set(cls, (row.get(cls) ?? 0) + 1);
    counts.set(k, row);
    totals.set(k, (totals.get(k) ?? 0) + 1);
  }
  const kept = [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, size);
  const classOf = new Map<string, PosClass>();
  for (const [word] of kept) {
    const row = [...counts.get(word)!].sort(
      (a, b) => b[1] - a[1] || POS_CLASSES.indexOf(a[0]) - POS_CLASSES.indexOf(b[0]),
    );
    classOf.set(word, row[0]![0]);
  }
  const words: Partial<Record<PosClass, string>> = {};
  for (const cls of POS_CLASSES) {
    const list = [...classOf]
      .filter(([, c]) => c === cls)
      .map(([w]) => w)
      .sort();
    if (list.length > 0) words[cls] = list.join(' ');
  }
  let testCount = 0;
  let known = 0;
  let correct = 0;
  for (const { word, tag } of testWords) {
    testCount++;
    const guess = classOf.get(key(word));
    if (guess === undefined) continue;
    known++;
    if (guess === posClassOfTag(tag)) correct++;
  }
  return {
    format: 'moe-lab-pos-lexicon',
    version: 1,
    source,
    words,
    measured: { entries: classOf.size, testWords: testCount, known, correctWhenKnown: correct },
  };
}

/** word → class, for lookups. */
export function lexiconMap(lexicon: PosLexicon): Map<string, PosClass> {
  const map = new Map<string, PosClass>();
  for (const cls of POS_CLASSES) for (const w of lexicon.words[cls]?.split(' ') ?? []) if (w) map.set(w, cls);
  return map;
}

/** One word of the reader's text: its span, and its class (null when the lexicon does not know it). */
export interface GuessedWord {
  start: number;
  end: number;
  posClass: PosClass | null;
}

/** Cuts `text` into words and guesses each one's class. */
export function guessWordClasses(text: string, lexicon: ReadonlyMap<string, PosClass>): GuessedWord[] {
  return [...text.matchAll(WORD)].map((m) => {
    const word = m[0];
    const posClass = /^\d/.test(word) ? 'number' : (lexicon.get(key(word)) ?? null);
    return { start: m.index, end: m.index + word.length, posClass };
  });
}

/**
 * Each token's class from the word it starts in: `tokenTexts` are the decoded tokens of `text` in order
 * (they concatenate to it). A token over no word (a space, a newline) has none; so does an unknown word's.
 */
export function tokenWordClasses(
  text: string,
  tokenTexts: readonly string[],
  lexicon: ReadonlyMap<string, PosClass>,
): { posClass: PosClass | null; known: boolean; inWord: boolean }[] {
  const words = guessWordClasses(text, lexicon);
  let offset = 0;
  let w = 0;
  return tokenTexts.map((tokenText) => {
    const start = offset;
    const end = offset + tokenText.length;
    offset = end;
    while (w < words.length && words[w]!.end <= start) w++;
    // The word this token overlaps, if any (a token's leading space is not part of the word).
    const word = w < words.length && words[w]!.start < end ? words[w]! : null;
    return { posClass: word?.posClass ?? null, known: word !== null && word.posClass !== null, inWord: word !== null };
  });
}
