// `npm run bench:browser`: measures the lesson-3 model in real Chromium, per backend and checkpoint —
// prefill time, ms per generated token and tokens per second — through the same widget a reader uses, and
// next to it the bare forward pass with the KV cache (the engine's decodeSpeed: no routing read back, no
// messages), so what sits around the forward is visible. "widget wall" is the time between tokens as the
// page draws them, messages and pacing included.
// Prints a table and writes bench-results/browser.json. Builds the site first unless --no-build.
// Then training: the lesson-3 widget races the dense and 8-expert recipes for --train-steps on each backend,
// and the same runs train in this Node process on wasm, for ms/step and tokens/s side by side.
//   node scripts/bench-browser.ts [--backends wasm,webgl,webgpu,cpu] [--checkpoints e8-top2,…] [--no-build]
//                                 [--train-steps 30] [--no-inference]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium } from '../tests/e2e/chromium.ts';
import { serveStatic } from '../tests/e2e/static-server.ts';
import { parseFlags } from './args.ts';

const { flags } = parseFlags(
  {
    backends: { type: 'string', default: 'wasm,webgl,cpu,webgpu', help: 'backends to measure' },
    checkpoints: { type: 'string', help: 'checkpoint ids (default: every shipped one)' },
    'no-build': { type: 'boolean', help: 'use the existing build' },
    dir: { type: 'string', default: 'dist', help: 'the built site to serve (with --no-build)' },
    runs: { type: 'number', integer: true, min: 1, default: 3, help: 'generations per cell; the median is kept' },
    'train-steps': { type: 'number', integer: true, min: 0, default: 30, help: 'training steps per run (0: skip)' },
    'no-inference': { type: 'boolean', help: 'measure training only' },
  },
  process.argv.slice(2),
);

const shipped = readdirSync('models/checkpoints', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join('models/checkpoints', d.name, 'model.safetensors')))
  .map((d) => d.name);
const checkpoints = flags['no-inference'] ? [] : flags.checkpoints ? flags.checkpoints.split(',') : shipped;
const backends = flags.backends.split(',');

if (!flags['no-build']) {
  const build = spawnSync(process.execPath, ['node_modules/astro/bin/astro.mjs', 'build'], {
    stdio: 'inherit',
    env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const site = await serveStatic(join(process.cwd(), flags.dir), '/');
const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
interface Row {
  checkpoint: string;
  backend: string;
  prefillMs: number;
  /** The widget's readout: each step's forward, sampling and routing, as the engine times it. */
  msPerToken: number;
  tokensPerSecond: number;
  /** Between tokens as the page shows them (messages, pacing and drawing included). */
  wallMsPerToken: number;
  /** The bare forward with the KV cache. */
  bareMsPerToken: number;
}
const rows: Row[] = [];
const trainRows: TrainRow[] = [];
const PROMPT = 'The jury said it did find that many of the voters';
type Hooked = { moeLabEngine: { request(type: string, payload: unknown): Promise<{ msPerToken: number }> } };
type Watched = { genTimes: number[] };
try {
  for (const checkpoint of checkpoints) {
    for (const backend of backends) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(
        new URL(
          `lessons/moe-in-your-browser/?moe.backend=${backend}&moe.checkpoint=${checkpoint}&engine-hook`,
          site.url,
        ).href,
      );
      await page.locator('.router-widget').scrollIntoViewIfNeeded();
      await page.locator('.router-widget[data-phase="ready"]').waitFor({ timeout: 180_000 });
      await page.locator('[data-testid="routing"]').waitFor({ timeout: 180_000 });
      const status = (await page.locator('[data-testid="status"]').textContent()) ?? '';
      const running = /Running on (\w+)/.exec(status)?.[1];
      if (running !== backend) {
        console.warn(`${checkpoint}: asked for ${backend}, the engine runs on ${running}; skipped.`);
        await page.close();
        continue;
      }
      const prefill: number[] = [];
      const perToken: number[] = [];
      const wall: number[] = [];
      const bare: number[] = [];
      const config = JSON.parse(readFileSync(join('models/checkpoints', checkpoint, 'config.json'), 'utf8')) as {
        num_local_experts: number;
      };
      for (let run = 0; run < flags.runs; run++) {
        // Re-route first so prefill is measured warm, on the same prompt every run.
        await page.getByLabel('Text to route').fill(`${PROMPT} ${run}`);
        await page.waitForTimeout(400);
        await page.evaluate(() => {
          const w = window as unknown as Watched;
          w.genTimes = [];
          const root = document.querySelector('.router-widget')!;
          // One entry per generated token on screen (layer 1's chips), with the time it appeared: the page may
          // draw several tokens in one frame, so counting text changes would count frames, not tokens.
          new MutationObserver(() => {
            const shown = root.querySelectorAll('.tok.generated[data-layer="0"]').length;
            while (w.genTimes.length < shown) w.genTimes.push(performance.now());
          }).observe(root, { subtree: true, childList: true, characterData: true });
        });
        await page.getByRole('button', { name: 'Generate', exact: true }).click();
        await page.locator(`.router-widget[data-generations="${run + 1}"]`).waitFor({ timeout: 600_000 });
        prefill.push(Number(await page.locator('[data-testid="prefill-ms"]').getAttribute('data-value')));
        perToken.push(Number(await page.locator('[data-testid="ms-per-token"]').getAttribute('data-value')));
        const times = await page.evaluate(() => (window as unknown as Watched).genTimes);
        if (times.length > 2) wall.push((times.at(-1)! - times[1]!) / (times.length - 2)); // from the 2nd: no prefill
        const speed = await page.evaluate(
          ([prompt, topK]) =>
            (window as unknown as Hooked).moeLabEngine.request('decodeSpeed', { prompt, tokens: 40, topK }),
          [PROMPT, Math.min(2, config.num_local_experts)] as const,
        );
        bare.push(speed.msPerToken);
      }
      const msPerToken = median(perToken);
      rows.push({
        checkpoint,
        backend,
        prefillMs: median(prefill),
        msPerToken,
        tokensPerSecond: 1000 / msPerToken,
        wallMsPerToken: median(wall),
        bareMsPerToken: median(bare),
      });
      console.log(
        `${checkpoint} on ${backend}: ${msPerToken.toFixed(2)} ms/token (widget), ${median(wall).toFixed(2)} between tokens on the page, ${median(bare).toFixed(2)} bare forward`,
      );
      await page.close();
    }
  }
  trainRows.push(...(await browserTraining()));
} finally {
  await browser.close();
  await site.close();
}
trainRows.push(...(await nodeTraining()));

interface TrainRow {
  where: string;
  backend: string;
  run: string;
  msPerStep: number;
  tokensPerSecond: number;
}

/** The widget's race on each backend: ms/step and tokens/s as the engine reports them (first step left out). */
async function browserTraining(): Promise<TrainRow[]> {
  const out: TrainRow[] = [];
  const steps = flags['train-steps'];
  if (steps < 10) return out;
  for (const backend of backends) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(
      new URL(`lessons/moe-in-your-browser/?train.mode=race&train.steps=${steps}&train.backend=${backend}`, site.url)
        .href,
    );
    await page.locator('.train-widget').scrollIntoViewIfNeeded();
    await page.locator('.train-widget[data-phase="ready"]').waitFor({ timeout: 180_000 });
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await page.locator('.train-widget[data-phase="done"], .train-widget[data-phase="error"]').waitFor({
      timeout: 1_800_000,
    });
    const status = (await page.locator('[data-testid="train-status"]').textContent()) ?? '';
    for (const run of ['dense', 'moe']) {
      const lane = page.locator(`[data-testid="train-lane-${run}"]`);
      const row = {
        where: 'Chromium worker',
        backend,
        run,
        msPerStep: Number(await lane.getAttribute('data-ms-per-step')),
        tokensPerSecond: Number(await lane.getAttribute('data-tokens-per-second')),
      };
      if (!(row.msPerStep > 0)) console.warn(`training on ${backend}: no figure (${status.trim()})`);
      else out.push(row);
    }
    console.log(
      `training on ${backend}: ${out
        .filter((r) => r.backend === backend)
        .map((r) => `${r.run} ${r.msPerStep.toFixed(1)} ms/step`)
        .join(', ')}`,
    );
    await page.close();
  }
  return out;
}

/** The same two runs in Node on wasm, through the same Lab training loop, on the same token data. */
async function nodeTraining(): Promise<TrainRow[]> {
  const steps = flags['train-steps'];
  if (steps < 10) return [];
  const { setupNodeBackend } = await import('../models/node/backend-node.ts');
  const { Lab } = await import('../models/lab.ts');
  const { readTokenData } = await import('../models/text/token-data.ts');
  const { validateTrainRun } = await import('../models/training/train-config.ts');
  const { recipe } = await import('../components/train-recipes.ts');
  await setupNodeBackend('wasm');
  const files = new Map(
    ['manifest.json', 'train.bin', 'validation.bin'].map((f) => [
      f,
      new Uint8Array(readFileSync(join('models/data', f))),
    ]),
  );
  const data = await readTokenData(files);
  const tokenizer: unknown = JSON.parse(readFileSync('models/checkpoints/tokenizer.json', 'utf8'));
  const out: TrainRow[] = [];
  for (const run of ['dense', 'moe'] as const) {
    const v = validateTrainRun(recipe(run, steps, 1), { ...data.manifest.tokenizer, data: data.manifest });
    if (!v.ok) throw new Error(v.errors.join(' '));
    const lab = await Lab.create({ config: v.modelConfig, tokenizer, seed: 1 });
    const { schedule } = v.run;
    const training = lab.train({
      train: data.train.stream,
      steps,
      batchSize: v.run.batch,
      seqLen: v.run.seqLen,
      seed: 1,
      schedule: { maxLr: schedule.lr, minLr: schedule.minLr, warmupSteps: schedule.warmup },
      clip: schedule.clip,
      optimizer: { beta2: schedule.beta2, weightDecay: schedule.weightDecay },
    });
    const ms: number[] = [];
    for (let p = training.step(); p !== null; p = training.step()) if (p.step > 1) ms.push(p.ms);
    training.dispose();
    lab.dispose();
    const msPerStep = ms.reduce((a, b) => a + b, 0) / ms.length;
    out.push({
      where: 'Node',
      backend: 'wasm',
      run,
      msPerStep,
      tokensPerSecond: ((v.run.batch * v.run.seqLen) / msPerStep) * 1000,
    });
  }
  return out;
}

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  chromium: browser.version(),
  gpu: 'none: WebGL and WebGPU run on SwiftShader (software), so their figures are not GPU figures',
};
console.table(
  rows.map((r) => ({
    checkpoint: r.checkpoint,
    backend: r.backend,
    'prefill ms': r.prefillMs.toFixed(1),
    'ms/token': r.msPerToken.toFixed(2),
    'tokens/s': r.tokensPerSecond.toFixed(1),
    'widget wall ms/token': r.wallMsPerToken.toFixed(2),
    'bare forward ms/token': r.bareMsPerToken.toFixed(2),
    'widget ÷ bare': (r.msPerToken / r.bareMsPerToken).toFixed(2),
  })),
);
const nodeMs = (run: string): number => trainRows.find((r) => r.where === 'Node' && r.run === run)?.msPerStep ?? NaN;
console.table(
  trainRows.map((r) => ({
    where: r.where,
    backend: r.backend,
    run: r.run,
    'ms/step': r.msPerStep.toFixed(1),
    'tokens/s': Math.round(r.tokensPerSecond),
    '÷ Node wasm': (r.msPerStep / nodeMs(r.run)).toFixed(2),
  })),
);
console.log(machine);
mkdirSync('bench-results', { recursive: true });
writeFileSync(
  'bench-results/browser.json',
  JSON.stringify({ machine, rows, training: trainRows, date: new Date().toISOString() }, null, 2),
);
console.log('wrote bench-results/browser.json');
