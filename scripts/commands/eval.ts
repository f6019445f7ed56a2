// `npm run moe -- eval <checkpoint>`: loss and perplexity of a checkpoint, overall and per genre.
import { writeFileSync } from 'node:fs';
import { evalBatches } from '../../models/text/batches.ts';
import { GENRES } from '../../models/text/corpus.ts';
import { describeFlags, parseFlags } from '../args.ts';
import type { FlagSpec } from '../args.ts';
import type { Command } from '../moe.ts';
import { genreStream } from '../training-data.ts';
import { openForEvaluation } from '../evaluation-input.ts';

const FLAGS = {
  split: { type: 'string', default: 'validation', help: 'validation or test' },
  seq: { type: 'number', integer: true, min: 1, help: "Window length (default: the model's max_position_embeddings)" },
  batch: { type: 'number', default: 16, integer: true, min: 1, help: 'Windows per forward pass' },
  windows: {
    type: 'number',
    default: 0,
    integer: true,
    min: 0,
    help: 'At most this many windows per genre, evenly spread (0 = all)',
  },
  backend: { type: 'string', default: 'wasm', help: 'tfjs backend: wasm or cpu' },
  json: { type: 'string', help: 'Also write the result to this JSON file' },
} satisfies Record<string, FlagSpec>;

interface LossReport {
  tokens: number;
  /** Mean next-token cross-entropy, nats per token. */
  loss: number;
  /** e^loss: the number of equally likely next tokens the model is as unsure as. */
  perplexity: number;
}

const report = (sum: number, tokens: number): LossReport => ({
  tokens,
  loss: Number((sum / tokens).toFixed(5)),
  perplexity: Number(Math.exp(sum / tokens).toFixed(3)),
});

export const command: Command = {
  summary: 'Loss and perplexity of a checkpoint on validation or test, overall and per genre',
  usage: [
    'Usage: npm run moe -- eval <checkpoint-dir> [flags]',
    '',
    "Scores every genre's documents (joined by <|endoftext|>) in non-overlapping windows, with the",
    "checkpoint's own tokenizer; prints a table and, with --json, writes it as JSON.",
    '',
    describeFlags(FLAGS),
    '',
    'Example: npm run moe -- eval models/checkpoints/e8-top2 --split test --json /tmp/e8-test.json',
  ].join('\n'),
  async run(args) {
    const { flags, positional } = parseFlags(FLAGS, args);
    const dir = positional[0] ?? '';
    const { lab, tokenizer, split } = await openForEvaluation('eval', positional[0], flags);
    const seq = flags.seq ?? lab.config.max_position_embeddings;
    const started = performance.now();
    let sum = 0;
    let tokens = 0;
    const byGenre: Record<string, LossReport & { name: string }> = {};
    for (const genre of GENRES) {
      const stream = genreStream(split, genre.code, tokenizer.endOfTextId);
      if (stream.length <= seq) continue;
      let gSum = 0;
      let gTokens = 0;
      for (const batch of evalBatches(stream, flags.batch, seq, flags.windows || Infinity)) {
        const r = await lab.nll(batch);
        gSum += r.sum;
        gTokens += r.tokens;
      }
      byGenre[genre.code] = { name: genre.name, ...report(gSum, gTokens) };
      sum += gSum;
      tokens += gTokens;
    }
    lab.dispose();
    const result = {
      checkpoint: dir,
      split: flags.split,
      seq,
      overall: report(sum, tokens),
      byGenre,
      seconds: Math.round((performance.now() - started) / 1000),
    };
    console.log(`${dir} on ${flags.split} (${tokens.toLocaleString('en-US')} tokens, windows of ${seq}):`);
    console.log(
      `  ${'all'.padEnd(46)} loss ${result.overall.loss.toFixed(4)}  perplexity ${result.overall.perplexity.toFixed(2)}`,
    );
    for (const [code, g] of Object.entries(byGenre)) {
      console.log(
        `  ${`${code}  ${g.name}`.padEnd(46)} loss ${g.loss.toFixed(4)}  perplexity ${g.perplexity.toFixed(2)}`,
      );
    }
    if (flags.json) {
      writeFileSync(flags.json, `${JSON.stringify(result, null, 2)}\n`);
      console.log(`Wrote ${flags.json}.`);
    }
  },
};
