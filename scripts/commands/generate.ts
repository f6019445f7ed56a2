import { setupNodeBackend } from '../../models/node/backend-node.ts';
import { generateTokens } from '../../models/generation/generate.ts';
import { Tokenizer } from '../../models/text/tokenizer.ts';
import { disposeModel, mixtralFromTensors } from '../../models/nn/transformer.ts';
import { describeFlags, parseFlags } from '../args.ts';
import { loadCheckpointDir } from '../../models/node/checkpoint-fs.ts';
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
    await setupNodeBackend(flags.backend);
    const checkpoint = await loadCheckpointDir(dir);
    if (checkpoint.tokenizerJson === undefined)
      throw new Error(`${dir} has no tokenizer.json, so text cannot be encoded.`);
    const tokenizer = Tokenizer.fromJSON(checkpoint.tokenizerJson);
    const model = mixtralFromTensors(checkpoint.config, checkpoint.tensors);
    // Documents start after <|endoftext|> in training, so a prompt does too.
    const promptIds = [tokenizer.endOfTextId, ...tokenizer.encode(flags.prompt).ids];
    const generated: number[] = [];
    let shown = '';
    let ms = 0;
    process.stdout.write(flags.prompt);
    try {
      for await (const token of generateTokens(model, promptIds, {
        maxNewTokens: flags.tokens,
        temperature: flags.temperature,
        topP: flags['top-p'],
        seed: flags.seed,
        topK: flags['top-k'],
        stopIds: [tokenizer.endOfTextId],
      })) {
        ms += token.ms;
        if (token.id === tokenizer.endOfTextId) break;
        generated.push(token.id);
        // Decode everything so far: a token may end half-way through a multi-byte character.
        const text = tokenizer.decode(generated);
        if (!text.endsWith('\uFFFD')) {
          process.stdout.write(text.slice(shown.length));
          shown = text;
        }
      }
    } finally {
      disposeModel(model);
    }
    const perToken = generated.length > 0 ? ms / generated.length : 0;
    console.error(`\n[${generated.length} tokens, ${perToken.toFixed(1)} ms/token on ${flags.backend}]`);
  },
};
