// `npm run moe -- train`: train a tiny Mixtral on the Brown Corpus and write a checkpoint directory.
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from '../../models/lab.ts';
import type { BackendName } from '../../models/runtime/backends.ts';
import { parseMixtralConfig } from '../../models/nn/config.ts';
import type { MixtralConfig } from '../../models/nn/config.ts';
import type { AdamWState, LrSchedule } from '../../models/training/optim.ts';
import type { FloatDtype } from '../../models/checkpoint/safetensors.ts';
import { DEFAULT_TRAIN_RUN, freshConfig, type FreshModel } from '../../models/training/train-config.ts';
import { describeFlags, parseFlags } from '../args.ts';
import type { FlagSpec, FlagValues } from '../args.ts';
import type { Command } from '../moe.ts';
import { loadTokenizedSplits, loadTokenizer, TOKENIZER_PATH } from '../training-data.ts';
import { deleteRunState, hasRunState, loadRunState, machineDescription, saveRunState } from '../training-state.ts';

type NumberFlag = { type: 'number'; default: number; help: string; min: number; integer?: boolean };
const int = (d: number, help: string, min = 1): NumberFlag => ({
  type: 'number',
  default: d,
  integer: true,
  min,
  help,
});
const num = (d: number, help: string): NumberFlag => ({ type: 'number', default: d, min: 0, help });

// The recipe's defaults are the browser's (models/training/train-config.ts), so both train the same model.
const MODEL = DEFAULT_TRAIN_RUN.model as FreshModel; // the default run is a fresh model
const SCHEDULE = DEFAULT_TRAIN_RUN.schedule;

const FLAGS = {
  out: { type: 'string', help: 'Checkpoint directory to write, e.g. models/checkpoints/e8-top2 (required)' },
  experts: int(MODEL.experts, 'N: experts per layer (1 = a dense model)'),
  'top-k': int(MODEL.topK, 'K: experts per token'),
  hidden: int(MODEL.hidden, 'd: hidden_size'),
  intermediate: int(MODEL.intermediate, "h: each expert's intermediate_size"),
  layers: int(MODEL.layers, 'num_hidden_layers'),
  heads: int(MODEL.heads, 'num_attention_heads'),
  'kv-heads': int(MODEL.kvHeads, 'num_key_value_heads (grouped-query attention)'),
  'tie-embeddings': { type: 'boolean', help: 'Share the embedding with the LM head (Mixtral does not)' },
  seq: int(DEFAULT_TRAIN_RUN.seqLen, 'Training context length in tokens'),
  batch: int(DEFAULT_TRAIN_RUN.batch, 'Sequences per batch'),
  steps: int(2000, 'Optimiser steps'),
  lr: num(SCHEDULE.lr, 'Peak learning rate'),
  'min-lr': num(SCHEDULE.minLr, 'Learning rate at the end of the cosine'),
  warmup: int(SCHEDULE.warmup, 'Linear warm-up steps', 0),
  'weight-decay': num(SCHEDULE.weightDecay, "AdamW's decoupled weight decay (rank ≥ 2 tensors only)"),
  beta2: num(SCHEDULE.beta2, "AdamW's β₂"),
  clip: num(SCHEDULE.clip, 'Global gradient-norm clip (0 = none)'),
  'aux-coef': num(DEFAULT_TRAIN_RUN.routing.auxLossCoef, 'router_aux_loss_coef α (load balancing)'),
  'z-coef': num(DEFAULT_TRAIN_RUN.routing.zLossCoef, 'router_z_loss_coef β (router z-loss)'),
  seed: int(DEFAULT_TRAIN_RUN.seed, 'Seed for the initial weights and the batches', 0),
  backend: { type: 'string', default: 'wasm', help: 'tfjs backend: wasm (fast) or cpu' },
  'eval-every': int(250, 'Validation loss every this many steps'),
  'eval-windows': int(128, 'Validation windows of --seq tokens per evaluation'),
  'save-every': int(250, 'Snapshot for --resume every this many steps'),
  'print-every': int(50, 'Progress line every this many steps when not on a terminal'),
  dtype: { type: 'string', default: 'F16', help: 'Stored weight dtype: F16, BF16 or F32' },
  tokenizer: { type: 'string', default: TOKENIZER_PATH, help: 'tokenizer.json to train with and ship' },
  resume: { type: 'boolean', help: 'Continue the run snapshotted in <out>/train-state/' },
  'keep-state': { type: 'boolean', help: 'Keep <out>/train-state/ after the final save' },
} satisfies Record<string, FlagSpec>;

type Flags = FlagValues<typeof FLAGS>;

/** Flags that change what is trained; a resumed run must match them. */
const RUN_FLAGS = [
  'experts',
  'top-k',
  'hidden',
  'intermediate',
  'layers',
  'heads',
  'kv-heads',
  'tie-embeddings',
  'seq',
  'batch',
  'steps',
  'lr',
  'min-lr',
  'warmup',
  'weight-decay',
  'beta2',
  'clip',
  'aux-coef',
  'z-coef',
  'seed',
] as const;

function buildConfig(flags: Flags, vocabSize: number, endOfTextId: number): MixtralConfig {
  const model: FreshModel = {
    from: 'fresh',
    experts: flags.experts,
    topK: flags['top-k'],
    hidden: flags.hidden,
    intermediate: flags.intermediate,
    layers: flags.layers,
    heads: flags.heads,
    kvHeads: flags['kv-heads'],
    tieEmbeddings: flags['tie-embeddings'],
  };
  const routing = { auxLossCoef: flags['aux-coef'], zLossCoef: flags['z-coef'] };
  const dtype = ({ F16: 'float16', BF16: 'bfloat16', F32: 'float32' } as const)[flags.dtype as FloatDtype] ?? 'float32';
  return parseMixtralConfig(freshConfig(model, routing, flags.seq, { vocabSize, endOfTextId }, dtype));
}

function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m >= 60
    ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
    : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

/** One status line: a bar on a terminal (rewritten with \r), plain lines otherwise. */
function progressLine(step: number, total: number, loss: number, val: number | null, lr: number, eta: number): string {
  const width = 20;
  const filled = Math.round((width * step) / total);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const valText = val === null ? '' : ` val ${val.toFixed(3)}`;
  return `${bar} step ${step}/${total} loss ${loss.toFixed(3)}${valText} lr ${lr.toExponential(1)} ETA ${formatDuration(eta)}`;
}

/** Keeps log lines for steps before `step` only (a resumed run rewrites what came after its snapshot). */
function truncateLog(path: string, step: number): void {
  if (!existsSync(path)) return;
  const kept = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => {
      if (line === '') return false;
      // A validation entry logged at the snapshot's step belongs to the part that is kept.
      const entry = JSON.parse(line) as { step: number; valLoss?: number };
      return entry.step < step || (entry.valLoss !== undefined && entry.step === step);
    });
  writeFileSync(path, kept.map((l) => `${l}\n`).join(''));
}

const round = (x: number, digits = 5): number => Number(x.toPrecision(digits));

export const command: Command = {
  summary: 'Train a tiny Mixtral (or dense baseline) on the Brown Corpus; write a checkpoint',
  usage: [
    'Usage: npm run moe -- train --out <dir> [flags]',
    '',
    'AdamW with warm-up + cosine learning rate and global-norm clipping, on random windows of the',
    'training split. Logs train/validation loss to <dir>/train-log.jsonl, snapshots to <dir>/train-state/',
    'every --save-every steps (continue with --resume), and finally writes config.json, model.safetensors,',
    'tokenizer.json, manifest.json and training.json into <dir>.',
    '',
    describeFlags(FLAGS),
    '',
    'Example: npm run moe -- train --out models/checkpoints/e8-top2 --experts 8 --top-k 2 --steps 2000',
  ].join('\n'),
  async run(args) {
    const { flags, positional } = parseFlags(FLAGS, args);
    if (positional.length > 0) throw new Error(`Unexpected argument "${positional[0]}"; every setting is a --flag.`);
    if (!flags.out)
      throw new Error('Say where to write the checkpoint with --out, e.g. --out models/checkpoints/e8-top2.');
    if (flags.backend !== 'wasm' && flags.backend !== 'cpu') {
      throw new Error(`--backend must be wasm or cpu in Node; got "${flags.backend}".`);
    }
    if (!['F16', 'BF16', 'F32'].includes(flags.dtype))
      throw new Error(`--dtype must be F16, BF16 or F32; got "${flags.dtype}".`);
    const out = flags.out;
    const logPath = join(out, 'train-log.jsonl');
    if (!flags.resume && hasRunState(out)) {
      throw new Error(
        `${out} holds an unfinished run (train-state/); add --resume to continue it, or delete that folder.`,
      );
    }
    if (flags.resume && !hasRunState(out))
      throw new Error(`--resume: there is no ${join(out, 'train-state')} to continue.`);

    const loaded = loadTokenizer(flags.tokenizer);
    const eot = loaded.tokenizer.endOfTextId;
    const { train, validation } = loadTokenizedSplits(loaded, ['train', 'validation']);
    const backend = { backend: flags.backend as BackendName };

    let config = buildConfig(flags, loaded.tokenizer.vocabSize, eot);
    let lab: Lab;
    let resume: { step: number; optimizer: AdamWState } | undefined;
    let elapsedBefore = 0;
    if (flags.resume) {
      const saved = loadRunState(out);
      for (const key of RUN_FLAGS) {
        if (JSON.stringify(saved.state.flags[key]) !== JSON.stringify(flags[key])) {
          throw new Error(
            `--resume: this run was started with --${key} ${String(saved.state.flags[key])}, not ${String(flags[key])}; give the same flags.`,
          );
        }
      }
      config = saved.state.config;
      lab = await Lab.fromTensors({ config, tensors: saved.weights, tokenizer: loaded.json }, backend);
      resume = { step: saved.state.step, optimizer: saved.optimizer };
      elapsedBefore = saved.state.elapsedSeconds;
      truncateLog(logPath, resume.step);
      console.log(`Resuming at step ${resume.step} of ${flags.steps}.`);
    } else {
      lab = await Lab.create({ config, tokenizer: loaded.json, seed: flags.seed }, backend);
      mkdirSync(out, { recursive: true });
      writeFileSync(logPath, '');
    }
    const startStep = resume?.step ?? 0;

    const counts = lab.parameters();
    console.log(
      `Training N=${flags.experts} K=${flags['top-k']}: ${counts.total.toLocaleString('en-US')} parameters, ` +
        `${counts.active.toLocaleString('en-US')} active per token; ${train!.stream.length.toLocaleString('en-US')} training tokens; backend ${flags.backend}.`,
    );
    const schedule: LrSchedule = {
      maxLr: flags.lr,
      minLr: flags['min-lr'],
      warmupSteps: flags.warmup,
      decaySteps: flags.steps,
    };
    const optimizerConfig = { beta2: flags.beta2, weightDecay: flags['weight-decay'] };
    const run = lab.train({
      train: train!.stream,
      validation: validation!.stream,
      steps: flags.steps,
      batchSize: flags.batch,
      seqLen: flags.seq,
      seed: flags.seed,
      schedule,
      clip: flags.clip,
      optimizer: optimizerConfig,
      evalEvery: flags['eval-every'],
      evalWindows: flags['eval-windows'],
      resume,
    });
    const tty = process.stdout.isTTY === true;
    const started = performance.now();
    const elapsed = (): number => elapsedBefore + (performance.now() - started) / 1000;
    let recent: number[] = [];
    let lastTrain = NaN;
    let lastVal: number | null = null;
    const log = (entry: Record<string, unknown>): void => appendFileSync(logPath, `${JSON.stringify(entry)}\n`);
    const snapshot = (step: number): void =>
      saveRunState(
        out,
        { step, elapsedSeconds: elapsed(), flags: { ...flags }, config },
        lab.tensors(),
        run.optimizerState(),
      );

    for (let p = run.step(); p !== null; p = run.step()) {
      recent.push(p.loss);
      log({
        step: p.step - 1,
        lr: round(p.lr, 4),
        loss: round(p.loss),
        aux: round(p.aux),
        gradNorm: round(p.gradNorm, 4),
        ms: Math.round(p.ms),
      });
      const done = p.step;
      if (p.valLoss !== undefined) {
        lastTrain = recent.reduce((a, b) => a + b, 0) / recent.length;
        recent = [];
        lastVal = p.valLoss;
        log({
          step: done,
          trainLoss: round(lastTrain),
          valLoss: round(lastVal),
          elapsedSeconds: Math.round(elapsed()),
        });
      }
      if (done % flags['save-every'] === 0 && done < flags.steps) snapshot(done);
      const eta = ((elapsed() - elapsedBefore) / (done - startStep)) * (flags.steps - done);
      const line = progressLine(done, flags.steps, p.loss, lastVal, p.lr, eta);
      if (tty) process.stdout.write(`\r${line}`);
      else if (done % flags['print-every'] === 0 || done === flags.steps) console.log(line);
    }
    if (tty) process.stdout.write('\n');

    const wallSeconds = elapsed();
    const files = await lab.save({
      dtype: flags.dtype as FloatDtype,
      metadata: { trained_by: 'moe-lab', steps: String(flags.steps), seed: String(flags.seed) },
      dir: out,
    });
    if (loaded.path !== join(out, 'tokenizer.json') && !files.has('tokenizer.json')) {
      copyFileSync(loaded.path, join(out, 'tokenizer.json'));
    }
    const bytes = [...files.values()].reduce((n, f) => n + f.byteLength, 0);
    const training = {
      command: `npm run moe -- train ${args.join(' ')}`,
      seed: flags.seed,
      steps: flags.steps,
      batch: flags.batch,
      seq: flags.seq,
      tokensSeen: flags.steps * flags.batch * flags.seq,
      schedule,
      optimizer: { name: 'AdamW', beta1: 0.9, ...optimizerConfig, clip: flags.clip },
      parameters: { total: counts.total, active: counts.active },
      wallSeconds: Math.round(wallSeconds),
      finalTrainLoss: round(lastTrain),
      finalValLoss: lastVal === null ? null : round(lastVal),
      valTokens: run.validationTokens,
      checkpointBytes: bytes,
      backend: flags.backend,
      machine: machineDescription(),
      finishedAt: new Date().toISOString(),
    };
    writeFileSync(join(out, 'training.json'), `${JSON.stringify(training, null, 2)}\n`);
    if (!flags['keep-state']) deleteRunState(out);
    run.dispose();
    lab.dispose();
    console.log(
      `Done in ${formatDuration(wallSeconds)}: train loss ${lastTrain.toFixed(4)}, val loss ${lastVal?.toFixed(4)}; ` +
        `wrote ${out} (${(bytes / 1e6).toFixed(2)} MB).`,
    );
  },
};
