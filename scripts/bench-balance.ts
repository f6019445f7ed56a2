// `npm run bench:balance`: lesson 6's widget runs, trained in this Node process on wasm by the engine the
// browser runs, printing how uneven the expert load gets (busiest expert ÷ mean, per layer) as training goes:
// the measurement behind the lesson's default settings and its collapse option.
//   node scripts/bench-balance.ts [--alpha 0] [--steps 150] [--capacity 0 (none)] [--bias]
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { Engine } from '../models/engine/engine.ts';
import type { TrainProgressMessage } from '../models/engine/protocol.ts';
import { maxLoadRatio } from '../models/moe/load-balance.ts';
import { setupNodeBackend } from '../models/node/backend-node.ts';
import { balanceRun, type BalanceSettings } from '../components/balance-recipe.ts';
import { parseFlags } from './args.ts';

const { flags } = parseFlags(
  {
    alpha: { type: 'number', min: 0, max: 0.1, default: 0, help: 'load-balancing loss coefficient α' },
    steps: { type: 'number', integer: true, min: 10, default: 150, help: 'steps' },
    capacity: { type: 'number', min: 0, default: 0, help: 'capacity factor (0 = dropless)' },
    bias: { type: 'boolean', help: 'aux-loss-free bias balancing' },
    'no-z': { type: 'boolean', help: 'turn the router z-loss off' },
    seed: { type: 'number', integer: true, min: 0, default: 1, help: 'seed' },
  },
  process.argv.slice(2),
);
const settings: BalanceSettings = {
  alpha: flags.alpha,
  capacity: flags.capacity === 0 ? 'none' : (String(flags.capacity) as BalanceSettings['capacity']),
  zLoss: !flags['no-z'],
  bias: flags.bias,
  steps: flags.steps,
  seed: flags.seed,
};

tf.env().set('IS_TEST', true);
await setupNodeBackend('wasm');
const engine = new Engine({
  inWorker: false,
  fetchFile: async (path) => ({ body: new Uint8Array(readFileSync(path)), fromCache: false }),
});
await engine.init('wasm');
const run = balanceRun(settings);
const seen: TrainProgressMessage[] = [];
const started = performance.now();
const result = await engine.handle(
  'train',
  {
    runs: [{ id: 'moe', run }],
    data: {
      'manifest.json': 'models/data/manifest.json',
      'train.bin': 'models/data/train.bin',
      'validation.bin': 'models/data/validation.bin',
    },
    tokenizer: 'models/checkpoints/tokenizer.json',
    evalEvery: settings.steps,
    evalWindows: 8,
  },
  {
    progress: () => undefined,
    token: () => undefined,
    benchRow: () => undefined,
    cancelled: () => false,
    paused: () => false,
    trainProgress: (p) => void seen.push(p),
  },
);
if (result.error) throw new Error(result.error);
console.log(
  `α=${settings.alpha} capacity=${settings.capacity} z=${settings.zLoss} bias=${settings.bias} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
);
for (const p of seen.filter((_, i) => i % 4 === 0 || i === seen.length - 1)) {
  const ratios = p.expertTokens.map((l) => maxLoadRatio(l).toFixed(2)).join(' / ');
  console.log(
    `step ${String(p.step).padStart(4)} loss ${p.loss.toFixed(3)} max/mean load ${ratios} entropy ${p.routerEntropy.map((e) => e.toFixed(2)).join(' / ')} dropped ${p.droppedSlots.join('/')} load ${JSON.stringify(p.expertTokens)}`,
  );
}
