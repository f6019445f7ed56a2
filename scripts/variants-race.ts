// node scripts/variants-race.ts [steps] — the "After Mixtral" widget's races in Node (wasm): plain top-2 of 8
// against each post-Mixtral variant (models/training/variant-runs.ts), through the same engine request the
// page sends. Prints each lane's last training loss, validation loss, ms/step and, for expert choice, the
// share of tokens no expert took: the README's measured figures for the lesson.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { Engine } from '../models/engine/engine.ts';
import type { TrainProgressMessage } from '../models/engine/protocol.ts';
import { setupNodeBackend } from '../models/node/backend-node.ts';
import { RACE_BATCH, VARIANTS, variantRun } from '../models/training/variant-runs.ts';

const steps = Number(process.argv[2] ?? 200);
if (!Number.isInteger(steps) || steps < 10 || steps > 5000) {
  throw new Error(`Give the steps as a whole number from 10 to 5,000; got ${process.argv[2]}.`);
}
tf.env().set('PROD', true);
await setupNodeBackend('wasm');
const engine = new Engine({
  inWorker: false,
  fetchFile: async (path) => ({ body: new Uint8Array(readFileSync(path)), fromCache: false }),
});
await engine.init('wasm');
const DATA = {
  'manifest.json': 'models/data/manifest.json',
  'train.bin': 'models/data/train.bin',
  'validation.bin': 'models/data/validation.bin',
};
console.log(`steps ${steps}, batch ${RACE_BATCH} × 64 tokens, seed 1, wasm`);
console.log('lane           │ train loss │ val loss │ ms/step │ no expert');
for (const id of ['plain', ...VARIANTS] as const) {
  const last = new Map<string, TrainProgressMessage>();
  const result = await engine.handle(
    'train',
    {
      runs: [{ id, run: variantRun(id, steps, 1) }],
      data: DATA,
      tokenizer: 'models/checkpoints/tokenizer.json',
      evalEvery: steps,
      evalWindows: 64,
    },
    {
      progress: () => undefined,
      token: () => undefined,
      benchRow: () => undefined,
      cancelled: () => false,
      paused: () => false,
      trainProgress: (p) => void last.set(p.run, p),
    },
  );
  const run = result.runs[0]!;
  const p = last.get(id)!;
  const unrouted = p.unroutedTokens
    ? `${((100 * p.unroutedTokens.reduce((a, b) => a + b, 0)) / (p.unroutedTokens.length * RACE_BATCH * 64)).toFixed(1)}%`
    : '—';
  console.log(
    `${id.padEnd(14)} │ ${run.loss!.toFixed(3).padStart(10)} │ ${run.valLoss!.toFixed(3).padStart(8)} │ ${run.msPerStep.toFixed(0).padStart(7)} │ ${unrouted}`,
  );
}
