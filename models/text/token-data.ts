/**
 * The shipped training data: a corpus split tokenised once and stored as nanoGPT stores it — one flat file
 * of uint16 token ids per split (`train.bin`, `validation.bin`, little-endian) — plus `manifest.json`, which
 * says what each file must be (size, SHA-256, token count) and where every document starts, with its genre.
 *
 * Each file holds the split exactly as the training command streams it (models/batches.ts
 * `concatDocuments`): doc₀ EOT doc₁ EOT … docₙ EOT. So the bytes are the stream, and a batch cut from them
 * is the batch `npm run moe -- train` cuts for the same step and seed. Pure: no fs, no DOM, no tfjs.
 */

import { concatDocuments } from './batches.ts';
import { sha256Hex } from '../checkpoint/checkpoint.ts';
import { GENRES } from './corpus.ts';

export const TOKEN_DATA_MANIFEST = 'manifest.json';
/** The splits the data files carry (the test split stays out of training and out of the download). */
export const TOKEN_DATA_SPLITS = ['train', 'validation'] as const;
export type TokenDataSplitName = (typeof TOKEN_DATA_SPLITS)[number];

/** uint16 ids: the largest vocabulary the format can hold. */
export const MAX_TOKEN_DATA_VOCAB = 65536;

/** One document's place in its split's stream. */
export interface TokenDocument {
  /** The corpus file name, e.g. `ca01`. */
  id: string;
  /** Its genre's letter (models/corpus.ts GENRES). */
  genre: string;
  /** Index of its first token in the stream. */
  start: number;
  /** Its tokens, not counting the end-of-text token after it. */
  length: number;
}

/** One split's file, as manifest.json describes it. */
export interface TokenSplitEntry {
  file: string;
  /** Bytes: 2 × tokens. */
  size: number;
  sha256: string;
  tokens: number;
  documents: TokenDocument[];
}

/** manifest.json of the token data. */
export interface TokenDataManifest {
  format: 'moe-lab-token-data';
  version: 1;
  dtype: 'uint16';
  byteOrder: 'little-endian';
  /** What the ids mean: the tokenizer they were made with. */
  tokenizer: { sha256: string; vocabSize: number; endOfTextId: number };
  /** Where the text came from and the command that wrote these files, for a reader of the manifest. */
  source: string;
  splits: Record<TokenDataSplitName, TokenSplitEntry>;
}

/** A split in memory: the stream the batches are cut from, and its documents. */
export interface TokenSplit {
  name: string;
  /** doc₀ EOT doc₁ EOT …: [tokens] */
  stream: Int32Array;
  documents: TokenDocument[];
  endOfTextId: number;
}

/** What {@link encodeTokenData} needs: each split's documents as token ids, in stream order. */
export interface TokenDataInput {
  tokenizer: { sha256: string; vocabSize: number; endOfTextId: number };
  source: string;
  splits: Record<TokenDataSplitName, readonly { id: string; genre: string; ids: ArrayLike<number> }[]>;
}

/** stream → little-endian uint16 bytes. */
export function toUint16Bytes(stream: Int32Array, vocabSize: number): Uint8Array {
  const bytes = new Uint8Array(stream.length * 2);
  const view = new DataView(bytes.buffer);
  stream.forEach((id, i) => {
    if (id < 0 || id >= vocabSize)
      throw new RangeError(`Token id ${id} is outside the vocabulary (0…${vocabSize - 1}).`);
    view.setUint16(2 * i, id, true);
  });
  return bytes;
}

/** Little-endian uint16 bytes → stream (the byte length is checked by the caller). */
export function fromUint16Bytes(bytes: Uint8Array): Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stream = new Int32Array(bytes.byteLength / 2);
  for (let i = 0; i < stream.length; i++) stream[i] = view.getUint16(2 * i, true);
  return stream;
}

/** The data files (`train.bin`, `validation.bin`, `manifest.json`) for tokenised splits. */
export async function encodeTokenData(
  input: TokenDataInput,
): Promise<{ files: Map<string, Uint8Array>; manifest: TokenDataManifest }> {
  const { vocabSize, endOfTextId } = input.tokenizer;
  if (vocabSize > MAX_TOKEN_DATA_VOCAB) {
    throw new RangeError(
      `A vocabulary of ${vocabSize} tokens does not fit in uint16 ids (at most ${MAX_TOKEN_DATA_VOCAB}).`,
    );
  }
  const files = new Map<string, Uint8Array>();
  const splits = {} as Record<TokenDataSplitName, TokenSplitEntry>;
  for (const name of TOKEN_DATA_SPLITS) {
    const docs = input.splits[name];
    const { tokens, starts } = concatDocuments(
      docs.map((d) => d.ids),
      endOfTextId,
    );
    const bytes = toUint16Bytes(tokens, vocabSize);
    const file = `${name}.bin`;
    files.set(file, bytes);
    splits[name] = {
      file,
      size: bytes.byteLength,
      sha256: await sha256Hex(bytes),
      tokens: tokens.length,
      documents: docs.map((d, i) => ({ id: d.id, genre: d.genre, start: starts[i]!, length: d.ids.length })),
    };
  }
  const manifest: TokenDataManifest = {
    format: 'moe-lab-token-data',
    version: 1,
    dtype: 'uint16',
    byteOrder: 'little-endian',
    tokenizer: input.tokenizer,
    source: input.source,
    splits,
  };
  files.set(TOKEN_DATA_MANIFEST, new TextEncoder().encode(`${JSON.stringify(manifest)}\n`));
  return { files, manifest };
}

const M = TOKEN_DATA_MANIFEST;
const isWhole = (v: unknown, min = 0): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads manifest.json (bytes or parsed JSON) and checks that it is self-consistent: known format, sizes
 * that are 2 × tokens, documents that tile each stream with one end-of-text token after each. Throws a
 * sentence that names the field.
 */
export function parseTokenDataManifest(input: Uint8Array | unknown): TokenDataManifest {
  let json: unknown = input;
  if (input instanceof Uint8Array) {
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(input));
    } catch {
      throw new SyntaxError(`The training data's ${M} is not valid JSON; the file is corrupted or was cut short.`);
    }
  }
  if (!isObject(json) || json.format !== 'moe-lab-token-data' || json.version !== 1) {
    throw new TypeError(`The training data's ${M} must have "format": "moe-lab-token-data" and "version": 1.`);
  }
  if (json.dtype !== 'uint16' || json.byteOrder !== 'little-endian') {
    throw new TypeError(`${M}: only little-endian uint16 token ids are supported; got ${String(json.dtype)}.`);
  }
  const tokenizer = json.tokenizer;
  if (
    !isObject(tokenizer) ||
    typeof tokenizer.sha256 !== 'string' ||
    !isWhole(tokenizer.vocabSize, 1) ||
    tokenizer.vocabSize > MAX_TOKEN_DATA_VOCAB ||
    !isWhole(tokenizer.endOfTextId) ||
    tokenizer.endOfTextId >= tokenizer.vocabSize
  ) {
    throw new TypeError(`${M}: tokenizer must give its sha256, a vocabSize ≤ 65536 and an endOfTextId inside it.`);
  }
  if (!isObject(json.splits)) throw new TypeError(`${M} must have "splits": { "train": …, "validation": … }.`);
  for (const name of TOKEN_DATA_SPLITS) checkSplitEntry(json.splits[name], name);
  if (typeof json.source !== 'string') throw new TypeError(`${M}: source must say where the text came from.`);
  return json as unknown as TokenDataManifest;
}

function checkSplitEntry(entry: unknown, name: string): void {
  if (!isObject(entry)) throw new TypeError(`${M} has no entry for the ${name} split.`);
  const { file, size, sha256, tokens, documents } = entry;
  if (typeof file !== 'string' || !isWhole(size) || !isWhole(tokens) || size !== 2 * tokens) {
    throw new TypeError(`${M}: the ${name} split must give its file, tokens and size (2 bytes per token).`);
  }
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) {
    throw new TypeError(`${M}: the ${name} split's sha256 must be 64 lowercase hex characters.`);
  }
  if (!Array.isArray(documents) || documents.length === 0) {
    throw new TypeError(`${M}: the ${name} split must list its documents.`);
  }
  let cursor = 0;
  documents.forEach((d: unknown, i) => {
    if (!isObject(d) || typeof d.id !== 'string' || typeof d.genre !== 'string' || !isWhole(d.length)) {
      throw new TypeError(`${M}: document ${i} of the ${name} split needs an id, a genre, a start and a length.`);
    }
    if (d.start !== cursor) {
      throw new RangeError(
        `${M}: document ${d.id} of the ${name} split starts at ${String(d.start)}, but the one before it ends at ${cursor}.`,
      );
    }
    cursor += d.length + 1; // its tokens and the end-of-text token after them
  });
  if (cursor !== tokens) {
    throw new RangeError(`${M}: the ${name} split's documents cover ${cursor} tokens but it says it has ${tokens}.`);
  }
}

/**
 * One split's bytes → its stream, after checking them against the manifest: the size first (a short file
 * says "truncated"), then SHA-256, then that an end-of-text token follows each document. Throws a sentence.
 */
export async function readTokenSplit(
  manifest: TokenDataManifest,
  name: TokenDataSplitName,
  bytes: Uint8Array,
): Promise<TokenSplit> {
  const entry = manifest.splits[name];
  if (bytes.byteLength !== entry.size) {
    const what = bytes.byteLength < entry.size ? 'it is truncated (an interrupted download?)' : 'it was changed';
    throw new RangeError(
      `The training data's ${entry.file} is ${bytes.byteLength} bytes but ${M} says ${entry.size}: ${what}. Reload to fetch it again.`,
    );
  }
  const actual = await sha256Hex(bytes);
  if (actual !== entry.sha256) {
    throw new Error(
      `The training data's ${entry.file} does not match its SHA-256 in ${M} (expected ${entry.sha256.slice(0, 12)}…, got ${actual.slice(0, 12)}…): the file is corrupted. Reload to fetch it again.`,
    );
  }
  const stream = fromUint16Bytes(bytes);
  const { endOfTextId, vocabSize } = manifest.tokenizer;
  for (const d of entry.documents) {
    if (stream[d.start + d.length] !== endOfTextId) {
      throw new RangeError(
        `${entry.file}: document ${d.id} is not followed by the end-of-text token; the index is wrong.`,
      );
    }
  }
  const outside = stream.findIndex((id) => id >= vocabSize);
  if (outside !== -1)
    throw new RangeError(
      `${entry.file}: token ${outside} is ${stream[outside]}, outside the vocabulary of ${vocabSize}.`,
    );
  return { name, stream, documents: entry.documents.map((d) => ({ ...d })), endOfTextId };
}

/** Both splits, verified, from the three files by name (`manifest.json`, `train.bin`, `validation.bin`). */
export async function readTokenData(
  files: ReadonlyMap<string, Uint8Array>,
): Promise<{ manifest: TokenDataManifest } & Record<TokenDataSplitName, TokenSplit>> {
  const manifestBytes = files.get(M);
  if (!manifestBytes) throw new Error(`The training data has no ${M}; it says what the other files must be.`);
  const manifest = parseTokenDataManifest(manifestBytes);
  const read = async (name: TokenDataSplitName): Promise<TokenSplit> => {
    const file = manifest.splits[name].file;
    const bytes = files.get(file);
    if (!bytes) throw new Error(`The training data has no ${file}, which ${M} lists for the ${name} split.`);
    return readTokenSplit(manifest, name, bytes);
  };
  return { manifest, train: await read('train'), validation: await read('validation') };
}

/** The genre letters a split holds, in GENRES order. */
export function splitGenres(split: TokenSplit): string[] {
  const present = new Set(split.documents.map((d) => d.genre));
  return GENRES.map((g) => g.code).filter((code) => present.has(code));
}

/**
 * Only the documents of `genres` (letters such as `['k', 'l']`, see models/corpus.ts GENRES), re-joined
 * into one stream in their original order: the same stream `concatDocuments` gives for those documents, and
 * for one genre the stream scripts/training-data.ts `genreStream` evaluates. For fine-tuning demos.
 */
export function genreSubset(split: TokenSplit, genres: readonly string[]): TokenSplit {
  if (genres.length === 0) throw new RangeError('Choose at least one genre for the training data.');
  const known = new Set(GENRES.map((g) => g.code));
  const unknown = genres.filter((g) => !known.has(g));
  if (unknown.length > 0) {
    throw new RangeError(
      `Unknown genre ${unknown.map((g) => `"${g}"`).join(', ')}; the Brown Corpus genres are ${GENRES.map((g) => g.code).join(', ')}.`,
    );
  }
  const present = new Set(splitGenres(split));
  const absent = genres.filter((g) => !present.has(g));
  if (absent.length > 0)
    throw new RangeError(`The ${split.name} split has no documents of genre ${absent.join(', ')}.`);
  const wanted = new Set(genres);
  const chosen = split.documents.filter((d) => wanted.has(d.genre));
  const { tokens, starts } = concatDocuments(
    chosen.map((d) => split.stream.subarray(d.start, d.start + d.length)),
    split.endOfTextId,
  );
  return {
    name: `${split.name} (${[...wanted].join(', ')})`,
    stream: tokens,
    documents: chosen.map((d, i) => ({ ...d, start: starts[i]! })),
    endOfTextId: split.endOfTextId,
  };
}
