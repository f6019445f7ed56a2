// `npm run moe -- analyze <checkpoint>`: where a trained model routes the test split's tokens — per genre,
// per word class, and how often neighbours share an expert. Writes <checkpoint>/analysis.json.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { POS_CLASSES, tokenPosClasses } from '../../models/moe/analyze.ts';
import type { RoutingAnalysis } from '../../models/moe/analyze.ts';
import { documentWindows, type AnalysisDocument } from '../../models/moe/analyze-windows.ts';
import { GENRES } from '../../models/text/corpus.ts';
import { tokenToWord } from '../../models/text/tokenizer.ts';
import { describeFlags, parseFlags } from '../args.ts';
import type { FlagSpec } from '../args.ts';
import type { Command } from '../moe.ts';
import type { TokenizedSplit } from '../training-data.ts';
import { openForEvaluation } from '../evaluation-input.ts';

const FLAGS = {
  split: { type: 'string', default: 'test', help: 'test or validation' },
  seq: { type: 'number', integer: true, min: 2, help: "Window length (default: the model's max_position_embeddings)" },
  batch: { type: 'number', default: 16, integer: true, min: 1, help: 'Windows per forward pass' },
  'windows-per-doc': {
    type: 'number',
    default: 0,
    integer: true,
    min: 0,
    help: 'At most this many windows from each document (0 = all)',
  },
  'top-k': { type: 'number', integer: true, min: 1, help: 'Inference-time K (default: the trained K)' },
  backend: { type: 'string', default: 'wasm', help: 'tfjs backend: wasm or cpu' },
  out: { type: 'string', help: 'Where to write the JSON (default <checkpoint>/analysis.json)' },
} satisfies Record<string, FlagSpec>;

/** The split's documents with each token's word class, from the corpus words the token overlaps. */
export function corpusAnalysisDocuments(split: TokenizedSplit): AnalysisDocument[] {
  return split.tokenized.map((doc, i) => {
    const words = split.documents[i]!.words;
    const offsets = Array.from(
      { length: doc.ids.length },
      (_, t) => [doc.offsets[2 * t]!, doc.offsets[2 * t + 1]!] as const,
    );
    const posClass = tokenPosClasses(
      tokenToWord(offsets, words),
      words.map((w) => w.tag),
    );
    return { genre: doc.genre, ids: doc.ids, posClass };
  });
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** The readable summary printed after the JSON is written. */
function summary(a: RoutingAnalysis): string {
  const lines: string[] = [];
  const genreName = (code: string): string => GENRES.find((g) => g.code === code)?.category ?? code;
  lines.push(
    `${a.tokens.toLocaleString('en-US')} tokens, N = ${a.numExperts}, K = ${a.topK}; uniform share ${pct(a.uniformShare)}.`,
  );
  for (let layer = 0; layer < a.numLayers; layer++) {
    const load = a.overall[layer]!.topK;
    const rep = a.repetition.overall[layer]!;
    lines.push('', `Layer ${layer}`);
    lines.push(
      `  load (top-K slots): ${load.map(pct).join(' ')}  (max/min ${(Math.max(...load) / Math.max(Math.min(...load), 1e-9)).toFixed(2)})`,
    );
    lines.push(
      `  consecutive tokens share first choice ${pct(rep.firstChoice)} (random ${pct(a.repetition.random.firstChoice)}), ` +
        `any chosen expert ${pct(rep.anyChoice)} (random ${pct(a.repetition.random.anyChoice)})`,
    );
    const genres = Object.entries(a.genreDivergence)
      .map(([g, d]) => [g, d[layer]!] as const)
      .sort((x, y) => y[1] - x[1]);
    lines.push(
      `  genres furthest from the average load: ${genres
        .slice(0, 3)
        .map(([g, d]) => `${genreName(g)} ${d.toFixed(3)}`)
        .join(
          ', ',
        )}; nearest: ${genres.at(-1)?.[0] ? genreName(genres.at(-1)![0]) : '-'} ${genres.at(-1)?.[1].toFixed(3) ?? ''}`,
    );
    const pos = POS_CLASSES.filter((c) => a.posDivergence[c]).map(
      (c) => `${c} ${a.posDivergence[c]![layer]!.toFixed(2)}`,
    );
    lines.push(`  word-class distance from the average load: ${pos.join(', ')}`);
    const experts = a.expertSpecialisation[layer]!.filter((e) => e.topClass !== null).map(
      (e) => `#${e.expert} ${e.topClass} ×${e.lift.toFixed(1)}`,
    );
    lines.push(`  each expert's most over-represented class (first choices): ${experts.join(', ')}`);
    const tokens = a.expertEnrichment[layer]!.filter((e) => e.tokenIds.length > 0).map(
      (e) =>
        `#${e.expert} ${JSON.stringify(e.tokenIds[0]!.text)} ×${e.tokenIds[0]!.lift.toFixed(1)} (${e.tokenIds[0]!.count}/${e.tokenIds[0]!.total})`,
    );
    lines.push(`  each expert's most over-represented token: ${tokens.join(', ')}`);
  }
  return lines.join('\n');
}

export const command: Command = {
  summary: 'Routing statistics on the test split (per genre, per word class, repetition); write analysis.json',
  usage: [
    'Usage: npm run moe -- analyze <checkpoint-dir> [flags]',
    '',
    "Runs the checkpoint over the test split's documents in windows and records, per layer: the share of",
    "tokens each expert gets (first choice and all K choices) overall, per genre (Mixtral's Figure 7) and",
    "per word class (Brown tags grouped into 11 classes, see models/moe/analyze.ts); each expert's most",
    'over-represented class; and how often consecutive tokens share an expert (Mixtral §5, Table 5).',
    '',
    describeFlags(FLAGS),
    '',
    'Example: npm run moe -- analyze models/checkpoints/e8-top2',
  ].join('\n'),
  async run(args) {
    const { flags, positional } = parseFlags(FLAGS, args);
    const dir = positional[0] ?? '';
    const { lab, split } = await openForEvaluation('analyze', positional[0], flags);
    const seq = flags.seq ?? lab.config.max_position_embeddings;
    const topK = flags['top-k'] ?? lab.config.num_experts_per_tok;
    const started = performance.now();
    const windows = documentWindows(corpusAnalysisDocuments(split), seq, flags['windows-per-doc']);
    const { analysis } = await lab.analyzeRouting(windows, { k: topK, batch: flags.batch });
    lab.dispose();
    const out = flags.out ?? join(dir, 'analysis.json');
    const json = {
      checkpoint: dir,
      split: flags.split,
      seq,
      windows: windows.length,
      genres: Object.fromEntries(GENRES.map((g) => [g.code, { name: g.name, category: g.category }])),
      posClasses: 'Brown tags grouped as documented in models/moe/analyze.ts (posClassOfTag)',
      seconds: Math.round((performance.now() - started) / 1000),
      ...analysis,
    };
    // Four decimals are plenty for plots and keep the file small.
    writeFileSync(
      out,
      `${JSON.stringify(json, (_, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(4)) : v))}\n`,
    );
    console.log(summary(analysis));
    console.log(`\nWrote ${out}.`);
  },
};
