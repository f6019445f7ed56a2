/**
 * Byte-level BPE, as GPT-2 and RoBERTa tokenize (Radford et al. 2019, §2.2), stored as a Hugging Face
 * `tokenizer.json` so the trained tokenizer also loads in Python (`tokenizers.Tokenizer.from_file`).
 *
 *   text → pre-tokens (GPT-2's regex: words with their leading space, numbers, punctuation, spaces)
 *        → UTF-8 bytes, each shown as one printable character (bytes_to_unicode: space is "Ġ")
 *        → BPE merges, lowest rank first → ids
 *
 * The 256 bytes are all in the vocabulary, so any string (emoji, Cyrillic, a stray control
 * character) encodes, and decoding gives back exactly the text that went in.
 */
import { trainBpe, type BpeModel } from './bpe.ts';

export const END_OF_TEXT = '<|endoftext|>';

/** GPT-2's pre-tokenizer pattern (openai/gpt-2 encoder.py, and the `tokenizers` ByteLevel default). */
export const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * GPT-2's bytes_to_unicode: byte b → a printable character. Printable Latin-1 bytes stand for
 * themselves; the other 68 (controls, space, soft hyphen…) shift to U+0100 onwards, so that no token
 * string contains whitespace or a control character.
 */
export function bytesToUnicode(): string[] {
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
  const table: string[] = [];
  let shifted = 0;
  for (let b = 0; b < 256; b++) table.push(String.fromCodePoint(printable(b) ? b : 256 + shifted++));
  return table;
}

const BYTE_TO_CHAR = bytesToUnicode();
/** Packs a pair of ids into one number (ids stay far below 2^20). */
const PAIR_BASE = 1 << 20;
const CHAR_TO_BYTE = new Map(BYTE_TO_CHAR.map((ch, b) => [ch, b]));

/** One pre-token: a slice of the input and where it starts (UTF-16 index). */
export interface PreToken {
  readonly text: string;
  readonly start: number;
}

/** Splits text with GPT-2's regex. The pieces tile the text exactly. */
export function preTokenize(text: string): PreToken[] {
  return [...text.matchAll(GPT2_SPLIT)].map((m) => ({ text: m[0], start: m.index }));
}

/**
 * The UTF-8 bytes of `text`, with the UTF-16 span of the character each byte belongs to. A lone
 * surrogate (not valid Unicode, so not encodable as UTF-8) becomes U+FFFD, as TextEncoder does.
 */
function utf8WithSpans(text: string): { bytes: number[]; charStart: number[]; charEnd: number[] } {
  const bytes: number[] = [];
  const charStart: number[] = [];
  const charEnd: number[] = [];
  for (let i = 0; i < text.length;) {
    let cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    const encoded =
      cp < 0x80
        ? [cp]
        : cp < 0x800
          ? [0xc0 | (cp >> 6), 0x80 | (cp & 63)]
          : cp < 0x10000
            ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
            : [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
    for (const b of encoded) {
      bytes.push(b);
      charStart.push(i);
      charEnd.push(i + units);
    }
    i += units;
  }
  return { bytes, charStart, charEnd };
}

/** A pre-token's bytes as byte-level symbols: "Ġthe" for " the". */
export function toByteLevel(text: string): string {
  return utf8WithSpans(text)
    .bytes.map((b) => BYTE_TO_CHAR[b]!)
    .join('');
}

export interface Encoding {
  readonly ids: number[];
  /**
   * Each token's [start, end) in the input (UTF-16 indices, as `text.slice` takes). A token holding
   * part of a multi-byte character spans the whole character, so neighbours can share a span.
   */
  readonly offsets: [number, number][];
}

/** The parts of tokenizer.json we read; see `Tokenizer.fromJSON` for what is checked. */
export interface TokenizerJSON {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: AddedToken[];
  normalizer: null;
  pre_tokenizer: ByteLevelOptions;
  post_processor: null;
  decoder: ByteLevelOptions;
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: false;
    byte_fallback: false;
    ignore_merges: false;
    vocab: Record<string, number>;
    merges: [string, string][];
  };
}

export interface AddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

interface ByteLevelOptions {
  type: 'ByteLevel';
  add_prefix_space: boolean;
  trim_offsets: boolean;
  use_regex: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading tokenizer.json: every check throws a sentence that says what is wrong and where.

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function field(object: Json, key: string, where: string): unknown {
  if (!(key in object)) throw new SyntaxError(`tokenizer.json: ${where} has no "${key}" field.`);
  return object[key];
}

function objectField(object: Json, key: string, where: string): Json {
  const value = field(object, key, where);
  if (!isObject(value)) throw new SyntaxError(`tokenizer.json: ${where}.${key} must be an object.`);
  return value;
}

function expectByteLevel(value: unknown, where: string): void {
  if (!isObject(value) || value.type !== 'ByteLevel') {
    throw new SyntaxError(
      `tokenizer.json: ${where} must be {"type": "ByteLevel", …}; this loader only reads byte-level BPE (GPT-2 style) tokenizers.`,
    );
  }
  if (where === 'pre_tokenizer' && (value.add_prefix_space === true || value.use_regex === false)) {
    throw new SyntaxError(
      'tokenizer.json: pre_tokenizer must have add_prefix_space false and use_regex true (GPT-2 splitting); other settings are not supported.',
    );
  }
}

/** `"a b"` (tokenizers < 0.20) or `["a", "b"]` (newer) → the pair. */
function parseMerge(merge: unknown, index: number): [string, string] {
  if (Array.isArray(merge) && merge.length === 2 && merge.every((s) => typeof s === 'string')) {
    return [merge[0] as string, merge[1] as string];
  }
  if (typeof merge === 'string') {
    const parts = merge.split(' ');
    if (parts.length === 2 && parts[0] && parts[1]) return [parts[0], parts[1]];
  }
  throw new SyntaxError(
    `tokenizer.json: model.merges[${index}] must be a pair ["a", "b"] or a string "a b"; got ${JSON.stringify(merge)}.`,
  );
}

function parseAddedToken(value: unknown, index: number): AddedToken {
  const where = `added_tokens[${index}]`;
  if (!isObject(value)) throw new SyntaxError(`tokenizer.json: ${where} must be an object.`);
  const id = field(value, 'id', where);
  const content = field(value, 'content', where);
  if (!Number.isInteger(id) || typeof content !== 'string' || content === '') {
    throw new SyntaxError(`tokenizer.json: ${where} needs a whole-number "id" and a non-empty "content".`);
  }
  const flag = (key: string, fallback: boolean): boolean => (typeof value[key] === 'boolean' ? value[key] : fallback);
  return {
    id: id as number,
    content,
    single_word: flag('single_word', false),
    lstrip: flag('lstrip', false),
    rstrip: flag('rstrip', false),
    normalized: flag('normalized', false),
    special: flag('special', true),
  };
}

// ---------------------------------------------------------------------------------------------------------------

/** A byte-level BPE tokenizer: encode with offsets, decode, and map tokens to corpus words. */
export class Tokenizer {
  readonly vocab: ReadonlyMap<string, number>;
  readonly merges: readonly (readonly [string, string])[];
  readonly addedTokens: readonly AddedToken[];
  /** The id of `<|endoftext|>`: separates documents, and starts generation. */
  readonly endOfTextId: number;
  private readonly tokens: string[];
  /** left · PAIR_BASE + right → rank (merge order) and the merged token's id. */
  private readonly ranks: Map<number, { rank: number; id: number }>;
  private readonly byteLengths: number[];
  private readonly byteIds: number[];
  private readonly cache = new Map<string, number[]>();

  constructor(model: BpeModel, addedTokens: readonly AddedToken[]) {
    this.vocab = model.vocab;
    this.merges = model.merges;
    this.addedTokens = addedTokens;
    this.tokens = [];
    for (const [token, id] of model.vocab) {
      if (this.tokens[id] !== undefined) {
        throw new SyntaxError(`tokenizer.json: "${this.tokens[id]}" and "${token}" both have id ${id}.`);
      }
      this.tokens[id] = token;
    }
    // A byte-level token has one character per byte.
    this.byteLengths = this.tokens.map((token) => [...token].length);
    this.byteIds = BYTE_TO_CHAR.map((ch, b) => {
      const id = model.vocab.get(ch);
      if (id === undefined) {
        throw new SyntaxError(
          `tokenizer.json: the vocabulary lacks "${ch}" (byte ${b}); a byte-level BPE vocabulary must hold all 256 byte symbols.`,
        );
      }
      return id;
    });
    for (let id = 0; id < model.vocab.size; id++) {
      if (this.tokens[id] === undefined) {
        throw new SyntaxError(
          `tokenizer.json: the vocabulary's ids must run 0…${model.vocab.size - 1}; ${id} is missing.`,
        );
      }
    }
    this.ranks = new Map();
    model.merges.forEach(([left, right], rank) => {
      const leftId = model.vocab.get(left);
      const rightId = model.vocab.get(right);
      const id = model.vocab.get(left + right);
      if (leftId === undefined || rightId === undefined || id === undefined) {
        const missing = [left, right, left + right].find((t) => !model.vocab.has(t));
        throw new SyntaxError(
          `tokenizer.json: merge ${rank} ("${left}" + "${right}") needs "${missing}", which is not in the vocabulary.`,
        );
      }
      const key = leftId * PAIR_BASE + rightId;
      if (!this.ranks.has(key)) this.ranks.set(key, { rank, id });
    });
    for (const added of addedTokens) {
      if (this.tokens[added.id] !== added.content) {
        throw new SyntaxError(
          `tokenizer.json: added token "${added.content}" has id ${added.id}, but the vocabulary gives that id to "${this.tokens[added.id]}".`,
        );
      }
    }
    const endOfText = addedTokens.find((t) => t.content === END_OF_TEXT);
    if (!endOfText) throw new SyntaxError(`tokenizer.json: added_tokens must include "${END_OF_TEXT}".`);
    this.endOfTextId = endOfText.id;
  }

  /** Builds a tokenizer from a parsed tokenizer.json, checking what encoding and decoding rely on. */
  static fromJSON(json: unknown): Tokenizer {
    if (!isObject(json)) throw new SyntaxError('tokenizer.json must hold a JSON object.');
    const version = field(json, 'version', 'the file');
    if (version !== '1.0')
      throw new SyntaxError(`tokenizer.json: version must be "1.0"; got ${JSON.stringify(version)}.`);
    if (field(json, 'normalizer', 'the file') !== null) {
      throw new SyntaxError('tokenizer.json: normalizer must be null; byte-level BPE encodes the text unchanged.');
    }
    expectByteLevel(field(json, 'pre_tokenizer', 'the file'), 'pre_tokenizer');
    expectByteLevel(field(json, 'decoder', 'the file'), 'decoder');
    const model = objectField(json, 'model', 'the file');
    if (model.type !== 'BPE')
      throw new SyntaxError(`tokenizer.json: model.type must be "BPE"; got ${JSON.stringify(model.type)}.`);
    for (const key of ['continuing_subword_prefix', 'end_of_word_suffix'] as const) {
      if (model[key] !== null && model[key] !== undefined && model[key] !== '') {
        throw new SyntaxError(
          `tokenizer.json: model.${key} must be null; byte-level BPE marks spaces with "Ġ" instead.`,
        );
      }
    }
    const vocabJson = objectField(model, 'vocab', 'model');
    const vocab = new Map<string, number>();
    for (const [token, id] of Object.entries(vocabJson)) {
      if (!Number.isInteger(id) || (id as number) < 0) {
        throw new SyntaxError(
          `tokenizer.json: model.vocab["${token}"] must be a whole number ≥ 0; got ${JSON.stringify(id)}.`,
        );
      }
      vocab.set(token, id as number);
    }
    const mergesJson = field(model, 'merges', 'model');
    if (!Array.isArray(mergesJson)) throw new SyntaxError('tokenizer.json: model.merges must be an array.');
    const addedJson = field(json, 'added_tokens', 'the file');
    if (!Array.isArray(addedJson)) throw new SyntaxError('tokenizer.json: added_tokens must be an array.');
    return new Tokenizer({ vocab, merges: mergesJson.map(parseMerge) }, addedJson.map(parseAddedToken));
  }

  get vocabSize(): number {
    return this.tokens.length;
  }

  /** The token's string in the vocabulary ("Ġthe"); undefined for an id out of range. */
  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  /** BPE on one pre-token's bytes: merge the lowest-ranked adjacent pair (leftmost on a tie) until none is left. */
  private bpe(bytes: readonly number[]): number[] {
    const ids = bytes.map((b) => this.byteIds[b]!);
    for (;;) {
      let best: { rank: number; id: number } | undefined;
      let at = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        const merge = this.ranks.get(ids[i]! * PAIR_BASE + ids[i + 1]!);
        if (merge && (!best || merge.rank < best.rank)) {
          best = merge;
          at = i;
        }
      }
      if (!best) return ids;
      ids.splice(at, 2, best.id);
    }
  }

  private encodeOrdinary(text: string, offset: number, encoding: Encoding): void {
    for (const piece of preTokenize(text)) {
      const { bytes, charStart, charEnd } = utf8WithSpans(piece.text);
      let ids = this.cache.get(piece.text);
      if (!ids) {
        ids = this.bpe(bytes);
        if (this.cache.size > 100_000) this.cache.clear();
        this.cache.set(piece.text, ids);
      }
      let b = 0;
      for (const id of ids) {
        const length = this.byteLengths[id]!;
        encoding.ids.push(id);
        encoding.offsets.push([offset + piece.start + charStart[b]!, offset + piece.start + charEnd[b + length - 1]!]);
        b += length;
      }
    }
  }

  /**
   * Text → token ids and character offsets. Added tokens written in the text (`<|endoftext|>`) become
   * their own id, as in `tokenizers`; everything else goes through byte-level BPE.
   */
  encode(text: string): Encoding {
    const encoding: Encoding = { ids: [], offsets: [] };
    let from = 0;
    for (;;) {
      let next = -1;
      let added: AddedToken | undefined;
      for (const token of this.addedTokens) {
        const at = text.indexOf(token.content, from);
        if (at !== -1 && (next === -1 || at < next)) [next, added] = [at, token];
      }
      if (!added) break;
      this.encodeOrdinary(text.slice(from, next), from, encoding);
      encoding.ids.push(added.id);
      encoding.offsets.push([next, next + added.content.length]);
      from = next + added.content.length;
    }
    this.encodeOrdinary(text.slice(from), from, encoding);
    return encoding;
  }

  /** Ids → text. Bytes that do not form whole UTF-8 characters (half an emoji) decode to U+FFFD. */
  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    const decoder = new TextDecoder('utf-8');
    const special = new Map(this.addedTokens.map((t) => [t.id, t]));
    let text = '';
    let bytes: number[] = [];
    const flush = (): void => {
      text += decoder.decode(new Uint8Array(bytes));
      bytes = [];
    };
    for (const id of ids) {
      const token = this.tokens[id];
      if (token === undefined)
        throw new RangeError(`Token id ${id} is outside the vocabulary (0…${this.vocabSize - 1}).`);
      const added = special.get(id);
      if (added) {
        flush();
        if (!(options.skipSpecialTokens && added.special)) text += added.content;
        continue;
      }
      for (const ch of token) bytes.push(CHAR_TO_BYTE.get(ch)!);
    }
    flush();
    return text;
  }

  /** The tokenizer.json object, in the `tokenizers` library's schema and key order. */
  toJSON(): TokenizerJSON {
    const byteLevel = (addPrefixSpace: boolean): ByteLevelOptions => ({
      type: 'ByteLevel',
      add_prefix_space: addPrefixSpace,
      trim_offsets: true,
      use_regex: true,
    });
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: this.addedTokens.map((t) => ({ ...t })),
      normalizer: null,
      pre_tokenizer: byteLevel(false),
      post_processor: null,
      decoder: byteLevel(true),
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab: Object.fromEntries(this.tokens.map((token, id) => [token, id])),
        merges: this.merges.map(([a, b]) => [a, b]),
      },
    };
  }
}

/**
 * Each token's word: the index of the first word whose span overlaps the token's offsets, or -1
 * when none does (a newline, or the space a token like "Ġ" stands for alone). " the" maps to "the";
 * '."' (one token for a period and a closing quote) maps to the period. Words must be in text
 * order and not overlap, as the corpus pipeline writes them.
 */
export function tokenToWord(
  offsets: readonly (readonly [number, number])[],
  words: readonly { readonly start: number; readonly end: number }[],
): number[] {
  const out: number[] = [];
  let w = 0;
  for (const [start, end] of offsets) {
    // Empty spans (a period printed once after "Jr.") can hold no token: skip them with the words
    // that end before this token.
    while (w < words.length && (words[w]!.end <= start || words[w]!.start === words[w]!.end)) w++;
    out.push(w < words.length && words[w]!.start < end ? w : -1);
  }
  return out;
}

export interface TokenizerTrainingConfig {
  /** Vocabulary size including the 256 bytes and `<|endoftext|>`. */
  readonly vocabSize: number;
  readonly minFrequency?: number;
}

/** How often each pre-token occurs across the texts, in byte-level spelling ("Ġthe" → 61,000). */
export function countPreTokens(texts: Iterable<string>): Map<string, number> {
  const raw = new Map<string, number>();
  for (const text of texts) {
    for (const m of text.matchAll(GPT2_SPLIT)) raw.set(m[0], (raw.get(m[0]) ?? 0) + 1);
  }
  const counts = new Map<string, number>();
  for (const [piece, count] of raw) counts.set(toByteLevel(piece), count);
  return counts;
}

/** Trains a byte-level BPE tokenizer on `texts` (each a document; pre-tokens never cross documents). */
export function trainTokenizer(texts: Iterable<string>, config: TokenizerTrainingConfig): Tokenizer {
  const model = trainBpe(countPreTokens(texts), {
    vocabSize: config.vocabSize,
    alphabet: BYTE_TO_CHAR,
    specialTokens: [END_OF_TEXT],
    ...(config.minFrequency === undefined ? {} : { minFrequency: config.minFrequency }),
  });
  const endOfText: AddedToken = {
    id: model.vocab.get(END_OF_TEXT)!,
    content: END_OF_TEXT,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  };
  return new Tokenizer(model, [endOfText]);
}
