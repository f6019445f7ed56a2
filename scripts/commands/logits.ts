import { Lab } from '../../models/lab.ts';
import { describeFlags, parseFlags } from '../args.ts';
import type { Command } from '../moe.ts';

const FLAGS = {
  ids: { type: 'string', help: 'comma-separated token ids, e.g. 1,2,3 (required)' },
  backend: { type: 'string', default: 'wasm', help: 'tfjs backend: wasm or cpu' },
  'top-k': { type: 'number', integer: true, min: 1, help: 'experts per token at inference (default: the config’s)' },
} as const;

function parseIds(raw: string | undefined): number[] {
  if (!raw) throw new Error('--ids is required, e.g. --ids 1,2,3.');
  const ids = raw.split(',').map((part) => Number(part.trim()));
  const bad = ids.findIndex((id) => !Number.isInteger(id) || id < 0);
  if (bad !== -1)
    throw new Error(
      `--ids must be whole numbers ≥ 0 separated by commas; item ${bad + 1} is "${raw.split(',')[bad]}".`,
    );
  return ids;
}

export const command: Command = {
  summary: 'print the logits of any HF-layout Mixtral directory for given token ids, as one line of JSON',
  usage: [
    'Usage: npm run moe -- logits <dir> --ids 1,2,3 [--backend wasm|cpu] [--top-k K]',
    '',
    '<dir> holds config.json and model.safetensors in the Hugging Face Mixtral layout (a tokenizer and',
    'manifest are optional), e.g. a tiny Mixtral exported from PyTorch. Prints {"logits": [[…], …]}: one',
    'row of vocab_size numbers per input id.',
    '',
    describeFlags(FLAGS),
  ].join('\n'),
  async run(args) {
    const { flags, positional } = parseFlags(FLAGS, args);
    const dir = positional[0];
    if (!dir) throw new Error('Give the checkpoint directory: npm run moe -- logits <dir> --ids 1,2,3');
    const ids = parseIds(flags.ids);
    const backend = flags.backend;
    if (backend !== 'wasm' && backend !== 'cpu')
      throw new Error(`--backend must be wasm or cpu in Node; got ${backend}.`);
    const lab = await Lab.load({ dir }, { backend });
    try {
      console.log(JSON.stringify({ logits: await lab.logits(ids, { k: flags['top-k'] }) }));
    } finally {
      lab.dispose();
    }
  },
};
