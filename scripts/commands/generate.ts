import { Lab } from '../../models/lab.ts';
import { describeFlags, parseFlags } from '../args.ts';
import type { Command } from '../moe.ts';

const FLAGS = {
  prompt: { type: 'string', default: '', help: 'text to continue (empty: start a new document)' },
  tokens: { type: 'number', integer: true, min: 0, default: 80, help: 'how many tokens to generate' },
  temperature: { type: 'number', min: 0, default: 0.8, help: '0 = greedy' },
  'top-p': { type: 'number', min: 0, max: 1, default: 0.95, help: 'nucleus sampling mass' },
  seed: { type: 'number', integer: true, default: 0, help: 'sampling seed' },
  'top-k': { type: 'number', integer: true, min: 1, help: 'experts per token (default: the config’s)' },
  backend: { type: 'string', default: 'wasm', help: 'tfjs backend: wasm or cpu' },
} as const;

export const command: Command = {
  summary: 'continue a prompt with a checkpoint (temperature, top-p, seed), streaming the text',
  usage: [
    'Usage: npm run moe -- generate <checkpoint-dir> [--prompt "The jury said"] [flags]',
    '',
    describeFlags(FLAGS),
    '',
    'Example: npm run moe -- generate models/checkpoints/e8-top2 --prompt "The jury said" --seed 3',
  ].join('\n'),
  async run(args) {
    const { flags, positional } = parseFlags(FLAGS, args);
    const dir = positional[0];
    if (!dir) throw new Error('Give the checkpoint directory: npm run moe -- generate <dir> --prompt "…"');
    if (flags.backend !== 'wasm' && flags.backend !== 'cpu') {
      throw new Error(`--backend must be wasm or cpu in Node; got ${flags.backend}.`);
    }
    const lab = await Lab.load({ dir }, { backend: flags.backend });
    if (!lab.hasTokenizer) throw new Error(`${dir} has no tokenizer.json, so text cannot be encoded.`);
    let count = 0;
    let shown = '';
    let ms = 0;
    process.stdout.write(flags.prompt);
    try {
      for await (const step of lab.generate(flags.prompt, {
        maxNewTokens: flags.tokens,
        temperature: flags.temperature,
        topP: flags['top-p'],
        seed: flags.seed,
        k: flags['top-k'],
        routing: false,
      })) {
        ms += step.ms;
        count++;
        // A token may end half-way through a multi-byte character: print once it is whole.
        if (!step.continuation.endsWith('\uFFFD')) {
          process.stdout.write(step.continuation.slice(shown.length));
          shown = step.continuation;
        }
      }
    } finally {
      lab.dispose();
    }
    const perToken = count > 0 ? ms / count : 0;
    console.error(`\n[${count} tokens, ${perToken.toFixed(1)} ms/token on ${flags.backend}]`);
  },
};
