// Node-only: the corpus splits as token streams for the train, eval and analyze commands. Tokenising the
// 1M-word training split takes a while, so each split's ids are cached in .build/tokens/ under a key that
// changes whenever the tokenizer or the corpus files change.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { concatDocuments } from '../models/text/batches.ts';
import type { CorpusDocument, SplitName } from '../models/text/corpus.ts';
import { Tokenizer } from '../models/text/tokenizer.ts';
import { CORPUS_DIR, loadCorpusSplits } from './corpus-data.ts';

/** The tokenizer every shipped checkpoint uses. */
export const TOKENIZER_PATH = fileURLToPath(new URL('../models/checkpoints/tokenizer.json', import.meta.url));
const TOKEN_CACHE_DIR = fileURLToPath(new URL('../.build/tokens/', import.meta.url));

export interface LoadedTokenizer {
  tokenizer: Tokenizer;
  /** The parsed tokenizer.json, to copy into a checkpoint. */
  json: unknown;
  /** Where it was read from, or the checkpoint it came with. */
  path: string;
}

export function loadTokenizer(path: string = TOKENIZER_PATH): LoadedTokenizer {
  if (!existsSync(path)) {
    throw new Error(`No tokenizer at ${path}; run \`npm run moe -- tokenizer\` first, or pass --tokenizer.`);
  }
  const json: unknown = JSON.parse(readFileSync(path, 'utf8'));
  return { tokenizer: Tokenizer.fromJSON(json), json, path };
}

/** One document's tokens and, per token, the corpus word it belongs to (−1 for none). */
export interface TokenizedDocument {
  id: string;
  genre: string;
  ids: Int32Array;
  /** Each token's [start, end) in the document's text: [tokens, 2], row-major. */
  offsets: Int32Array;
}

/** A split as one stream (documents joined by <|endoftext|>) plus its documents. */
export interface TokenizedSplit {
  name: SplitName;
  documents: CorpusDocument[];
  tokenized: TokenizedDocument[];
  /** doc₀ EOT doc₁ EOT … */
  stream: Int32Array;
  /** Where each document starts in the stream. */
  starts: number[];
}

function cacheKey(tokenizer: Tokenizer, split: SplitName): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(tokenizer.toJSON()));
  hash.update(readFileSync(join(CORPUS_DIR, `${split}.jsonl`)));
  return hash.digest('hex').slice(0, 16);
}

function tokenize(tokenizer: Tokenizer, documents: readonly CorpusDocument[]): TokenizedDocument[] {
  return documents.map((d) => {
    const { ids, offsets } = tokenizer.encode(d.text);
    return { id: d.id, genre: d.genre, ids: Int32Array.from(ids), offsets: Int32Array.from(offsets.flat()) };
  });
}

interface CachedTokens {
  documents: { id: string; genre: string; ids: number[]; offsets: number[] }[];
}

/** Loads (building and caching if needed) the tokenised splits named in `names`. */
export function loadTokenizedSplits(
  loaded: LoadedTokenizer,
  names: readonly SplitName[],
): Partial<Record<SplitName, TokenizedSplit>> {
  const splits = loadCorpusSplits();
  mkdirSync(TOKEN_CACHE_DIR, { recursive: true });
  const out: Partial<Record<SplitName, TokenizedSplit>> = {};
  for (const name of names) {
    const file = join(TOKEN_CACHE_DIR, `${name}-${cacheKey(loaded.tokenizer, name)}.json`);
    let tokenized: TokenizedDocument[];
    if (existsSync(file)) {
      const cached = JSON.parse(readFileSync(file, 'utf8')) as CachedTokens;
      tokenized = cached.documents.map((d) => ({
        id: d.id,
        genre: d.genre,
        ids: Int32Array.from(d.ids),
        offsets: Int32Array.from(d.offsets),
      }));
    } else {
      tokenized = tokenize(loaded.tokenizer, splits[name]);
      const cached: CachedTokens = {
        documents: tokenized.map((d) => ({ id: d.id, genre: d.genre, ids: [...d.ids], offsets: [...d.offsets] })),
      };
      writeFileSync(file, JSON.stringify(cached));
    }
    const { tokens, starts } = concatDocuments(
      tokenized.map((d) => d.ids),
      loaded.tokenizer.endOfTextId,
    );
    out[name] = { name, documents: splits[name], tokenized, stream: tokens, starts };
  }
  return out;
}

/** The stream of one genre's documents only (for per-genre evaluation). */
export function genreStream(split: TokenizedSplit, genre: string, endOfTextId: number): Int32Array {
  return concatDocuments(
    split.tokenized.filter((d) => d.genre === genre).map((d) => d.ids),
    endOfTextId,
  ).tokens;
}
