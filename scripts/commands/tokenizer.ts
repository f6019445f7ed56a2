// `npm run moe -- tokenizer`: train byte-level BPE on the train split and save it as tokenizer.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CorpusDocument } from '../../models/text/corpus.ts';
import { trainTokenizer, type Tokenizer } from '../../models/text/tokenizer.ts';
import { describeFlags, parseFlags, type FlagSpec } from '../args.ts';
import { loadCorpusSplits } from '../corpus-data.ts';
import type { Command } from '../moe.ts';

const FLAGS = {
  'vocab-size': {
    type: 'number',
    default: 1024,
    integer: true,
    min: 257,
    max: 65536,
    help: 'Vocabulary size: 256 bytes + <|endoftext|> + merges',
  },
  out: { type: 'string', default: 'models/checkpoints/tokenizer.json', help: 'Where to write tokenizer.json' },
} satisfies Record<string, FlagSpec>;

/** Characters per token and tokens per corpus word: how much text one position of context holds. */
function compression(tokenizer: Tokenizer, documents: readonly CorpusDocument[]): string {
  let characters = 0;
  let words = 0;
  let tokens = 0;
  for (const d of documents) {
    characters += d.text.length;
    words += d.words.length;
    tokens += tokenizer.encode(d.text).ids.length;
  }
  const perToken = (characters / tokens).toFixed(2);
  const perWord = (tokens / words).toFixed(2);
  return `${tokens.toLocaleString('en-US')} tokens, ${perToken} characters/token, ${perWord} tokens/word`;
}

export const command: Command = {
  summary: 'Train the byte-level BPE tokenizer on the train split; write tokenizer.json',
  usage: [
    'Usage: npm run moe -- tokenizer [flags]',
    '',
    'Counts GPT-2 pre-tokens over the train split, learns BPE merges on their bytes, and writes a',
    'Hugging Face tokenizer.json (byte-level BPE with <|endoftext|>). Builds the corpus first if needed.',
    '',
    describeFlags(FLAGS),
    '',
    'Example: npm run moe -- tokenizer --vocab-size 1536 --out /tmp/tokenizer.json',
  ].join('\n'),
  async run(args) {
    const { flags } = parseFlags(FLAGS, args);
    const splits = loadCorpusSplits();
    const started = performance.now();
    const tokenizer = trainTokenizer(
      splits.train.map((d) => d.text),
      { vocabSize: flags['vocab-size'] },
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    mkdirSync(dirname(flags.out), { recursive: true });
    writeFileSync(flags.out, JSON.stringify(tokenizer.toJSON(), null, 2) + '\n');
    console.log(
      `Trained in ${seconds} s: vocabulary ${tokenizer.vocabSize} (256 bytes, 1 special, ${tokenizer.merges.length} merges).`,
    );
    console.log(`train:      ${compression(tokenizer, splits.train)}`);
    console.log(`validation: ${compression(tokenizer, splits.validation)}`);
    console.log(`Wrote ${flags.out}.`);
  },
};
