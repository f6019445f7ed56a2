// `npm run moe -- params <config.json>`: parameter counts and memory of the model a config.json describes.
import { readFile } from 'node:fs/promises';
import { describeFlags, parseFlags } from '../args.ts';
import type { Command } from '../moe.ts';
import { estimateMemory } from '../../models/accounting/memory.ts';
import { countParameters } from '../../models/accounting/params.ts';

const FLAGS = {
  context: { type: 'number', default: 4096, min: 1, integer: true, help: 'tokens per sequence, for the KV cache' },
  batch: { type: 'number', default: 1, min: 1, integer: true, help: 'sequences decoded together, for the KV cache' },
  'kv-bytes': { type: 'number', default: 2, min: 0.5, help: 'bytes per cached value: 2 for bf16, 1 for fp8' },
} as const;

export const command: Command = {
  summary: 'Count total and active parameters and estimate memory from a Hugging Face config.json',
  usage: [
    'Usage: npm run moe -- params <config.json> [--context 4096] [--batch 1]',
    '',
    'Prints one line of JSON: total, active (embedding and LM head counted), activeWithoutEmbedding,',
    'the breakdown by component, and memory in bytes (weights at fp32/bf16/fp8/int4, KV cache).',
    'Presets with real configs are in models/presets/.',
    '',
    describeFlags(FLAGS),
    '',
    'Example: npm run moe --silent -- params models/accounting/presets/mixtral-8x7b.json --context 32768',
  ].join('\n'),
  async run(args) {
    const { flags, positional } = parseFlags(FLAGS, args);
    if (positional.length !== 1)
      throw new Error('params needs exactly one config.json path, e.g. models/accounting/presets/mixtral-8x7b.json.');
    const path = positional[0]!;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      throw new Error(`Cannot read ${path}; give the path of a config.json.`);
    }
    let config: unknown;
    try {
      config = JSON.parse(text);
    } catch (error) {
      throw new Error(`${path} is not valid JSON (${error instanceof Error ? error.message : String(error)}).`, {
        cause: error,
      });
    }
    const report = countParameters(config);
    const memory = estimateMemory(config, {
      context: flags.context,
      batch: flags.batch,
      bytesPerValue: flags['kv-bytes'],
    });
    console.log(
      JSON.stringify({
        modelType: report.modelType,
        total: report.total,
        active: report.active,
        activeWithoutEmbedding: report.activeWithoutEmbedding,
        breakdown: report.breakdown,
        excluded: report.excluded,
        memory,
        notes: report.notes,
      }),
    );
  },
};
