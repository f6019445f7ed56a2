// `npm run bench:race`: lesson 5's race, trained in this Node process on wasm with the engine the browser
// runs (models/engine/train-request.ts), so the README's race figures come from the widget's own runs.
// Prints each lane's speed, its loss at the end (mean of the last 20 steps) and, for the per-second view,
// every lane's loss at the moment the fastest lane finished; writes bench-results/race.json.
//   node scripts/bench-race.ts [--steps 300] [--experts 8] [--top-k 2] [--equal-total] [--seed 1]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { Engine } from '../models/engine/engine.ts';
import type { TrainProgressMessage } from '../models/engine/protocol.ts';
import { setupNodeBackend } from '../models/node/backend-node.ts';
import { laneFacts, raceRuns, type RaceSettings } from '../components/race-recipes.ts';
import { parseFlags } from './args.ts';

const { flags } = parseFlags(
  {
    steps: { type: 'number', integer: true, min: 10, default: 300, help: 'steps per lane' },
    experts: { type: 'number', integer: true, min: 2, default: 8, help: 'N' },
    'top-k': { type: 'number', integer: true, min: 1, default: 2, help: 'K' },
    'equal-total': { type: 'boolean', help: 'add the dense model of equal total parameters' },
    seed: { type: 'number', integer: true, min: 0, default: 1, help: 'seed' },
  },
  process.argv.slice(2),
);
const settings: RaceSettings = {
  experts: flags.experts,
  topK: flags['top-k'],
  steps: flags.steps,
  seed: flags.seed,
  equalTotal: flags['equal-total'],
};

tf.env().set('IS_TEST', true);
await setupNodeBackend('wasm');
const engine = new Engine({
  inWorker: false,
  fetchFile: async (path) => ({ body: new Uint8Array(readFileSync(path)), fromCache: false }),
});
await engine.init('wasm');
const manifest = JSON.parse(readFileSync('models/data/manifest.json', 'utf8')) as {
  tokenizer: { vocabSize: number; endOfTextId: number };
};

const runs = raceRuns(settings);
const steps = new Map<string, { loss: number; ms: number }[]>(runs.map((r) => [r.id, []]));
const last = new Map<string, TrainProgressMessage>();
const started = performance.now();
const result = await engine.handle(
  'train',
  {
    runs,
    data: {
      'manifest.json': 'models/data/manifest.json',
      'train.bin': 'models/data/train.bin',
      'validation.bin': 'models/data/validation.bin',
    },
    tokenizer: 'models/checkpoints/tokenizer.json',
    evalEvery: settings.steps,
    evalWindows: 16,
  },
  {
    progress: () => undefined,
    token: () => undefined,
    benchRow: () => undefined,
    cancelled: () => false,
    paused: () => false,
    trainProgress: (p) => {
      // Messages carry every step's loss; the lane's mean ms/step so far spreads the time over them.
      for (const loss of p.losses) steps.get(p.run)!.push({ loss, ms: p.msPerStep });
      last.set(p.run, p);
    },
  },
);
const wallSeconds = (performance.now() - started) / 1000;
if (result.error) throw new Error(result.error);

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const rows = runs.map(({ id, run }) => {
  const p = last.get(id)!;
  const losses = steps.get(id)!.map((s) => s.loss);
  return {
    id,
    ...laneFacts(run, manifest.tokenizer),
    msPerStep: p.msPerStep,
    tokensPerSecond: p.tokensPerSecond,
    endLoss: mean(losses.slice(-20)),
    valLoss: p.lastValLoss,
    secondsToFinish: (p.msPerStep * settings.steps) / 1000,
    losses,
  };
});
const fastest = Math.min(...rows.map((r) => r.secondsToFinish));
const report = rows.map((r) => {
  // Loss at the fastest lane's finishing time: the steps this lane had done by then (mean of 20 around it).
  const doneBy = Math.max(1, Math.min(settings.steps, Math.round((fastest * 1000) / r.msPerStep)));
  return {
    ...r,
    lossAtFastestFinish: mean(r.losses.slice(Math.max(0, doneBy - 20), doneBy)),
    stepsAtFastestFinish: doneBy,
  };
});
console.log(
  `race N=${settings.experts} K=${settings.topK} steps=${settings.steps} (wall ${wallSeconds.toFixed(0)} s, ${cpus().length} cores, wasm in Node)`,
);
for (const r of report) {
  console.log(
    `${r.id.padEnd(12)} ${r.msPerStep.toFixed(0)} ms/step ${Math.round(r.tokensPerSecond)} tok/s  params ${r.totalParams}/${r.activeParams}  ` +
      `FLOPs/step ${(r.trainFlopsPerStep / 1e9).toFixed(2)} G  end loss ${r.endLoss.toFixed(3)} val ${r.valLoss?.toFixed(3)}  ` +
      `at ${fastest.toFixed(0)} s: step ${r.stepsAtFastestFinish} loss ${r.lossAtFastestFinish.toFixed(3)}`,
  );
}
mkdirSync('bench-results', { recursive: true });
writeFileSync(
  `bench-results/race-n${settings.experts}-k${settings.topK}-${settings.steps}.json`,
  JSON.stringify({
    settings,
    wallSeconds,
    cores: cpus().length,
    lanes: report.map(({ losses, ...r }) => ({ ...r, losses })),
  }),
);
