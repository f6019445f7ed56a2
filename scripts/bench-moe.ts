// npm run bench:moe — does the sparse MoE layer cost grow with K (experts used) and not N (experts held)?
//
// For each backend and (N, K): median forward and forward+backward time of
//   sparse   the real layer (models/moe/moe-layer.ts),
//   masked   the dense-masked baseline (all N experts on every token, unchosen ones zeroed),
//   dense    a plain SwiGLU FFN with hidden width K·h, i.e. the K active experts' parameters,
// plus peak tf.memory().numBytes. Prints a table and writes JSON (default bench-results/moe.json).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setupNodeBackend } from '../models/node/backend-node.ts';
import { benchmarkCase, benchmarkVariant, type BenchResult, type Timing } from '../models/accounting/bench.ts';
import type { VariantTiming } from '../models/accounting/bench.ts';
import { fineGrained, isolateShared } from '../models/moe/fine-grained.ts';
import type { MoeConfig } from '../models/moe/moe-layer.ts';
import { describeFlags, parseFlags } from './args.ts';

const FLAGS = {
  backend: { type: 'string', default: 'wasm,cpu', help: 'comma-separated backends: wasm, cpu' },
  experts: { type: 'string', default: '1,2,4,8,16,32', help: 'N values' },
  k: { type: 'string', default: '1,2,4', help: 'K values (pairs with K > N are skipped)' },
  tokens: { type: 'number', default: 1024, integer: true, min: 1, help: 'tokens per batch' },
  d: { type: 'number', default: 64, integer: true, min: 1, help: 'dModel' },
  h: { type: 'number', default: 128, integer: true, min: 1, help: 'expert hidden width' },
  reps: { type: 'number', default: 9, integer: true, min: 1, help: 'timed runs per measurement (median reported)' },
  warmup: { type: 'number', default: 2, integer: true, min: 0, help: 'untimed runs first' },
  quick: { type: 'boolean', help: 'N 2,8,16,32 × K 1,2 with 3 reps and 1 warm-up: about a minute on wasm' },
  variants: { type: 'boolean', help: 'also time shared-expert and fine-grained layouts of N 8, K 2 (DeepSeekMoE)' },
  out: { type: 'string', default: 'bench-results/moe.json', help: 'where to write the JSON results' },
  help: { type: 'boolean', help: 'show this help' },
} as const;

interface Row extends BenchResult {
  backend: string;
}

function list(s: string): number[] {
  return s.split(',').map(Number);
}

async function benchBackend(backend: string, flags: ReturnType<typeof settings>): Promise<Row[]> {
  await setupNodeBackend(backend as 'wasm' | 'cpu');
  const { tokens, d, h, reps, warmup } = flags;
  const rows: Row[] = [];
  for (const numExperts of flags.experts) {
    for (const topK of flags.k.filter((k) => k <= numExperts)) {
      const result = await benchmarkCase({
        numExperts,
        topK,
        tokens,
        dModel: d,
        dHidden: h,
        reps,
        warmup,
        backward: true,
      });
      const row: Row = { backend, ...result };
      rows.push(row);
      printRow(row);
    }
  }
  return rows;
}

const HEADER =
  'backend   N   K │ sparse fwd  f+b ms │ masked fwd  f+b ms │ dense fwd  f+b ms │ masked/sparse f+b │ peak MB sparse masked';

function printRow(r: Row): void {
  const ms = (v: number): string => v.toFixed(1).padStart(7);
  const mb = (v: number): string => (v / 1e6).toFixed(1).padStart(6); // MB = 10⁶ bytes, as everywhere on the site
  console.log(
    `${r.backend.padEnd(7)} ${String(r.numExperts).padStart(3)} ${String(r.topK).padStart(3)} │` +
      `${ms(r.sparse.fwdMs)} ${ms(r.sparse.fwdBwdMs)}    │${ms(r.masked.fwdMs)} ${ms(r.masked.fwdBwdMs)}    │` +
      `${ms(r.dense.fwdMs)} ${ms(r.dense.fwdBwdMs)}   │ ${(r.masked.fwdBwdMs / r.sparse.fwdBwdMs).toFixed(1).padStart(9)}×        │` +
      `        ${mb(r.sparse.peakBytes)} ${mb(r.masked.peakBytes)}`,
  );
}

interface Target {
  /** From medians. */
  value: number;
  /** The same ratio from the fastest runs. */
  fromMin: number;
  target: string;
  met: boolean;
}

/** The targets, where the needed rows were measured. */
function targets(rows: Row[]): Record<string, Target> {
  const out: Record<string, Target> = {};
  for (const backend of new Set(rows.map((r) => r.backend))) {
    const at = (n: number, k: number): Row | undefined =>
      rows.find((r) => r.backend === backend && r.numExperts === n && r.topK === k);
    const add = (
      name: string,
      ratio: (m: (t: Timing, what: 'fwd' | 'fwdBwd') => number) => number | undefined,
      target: string,
      met: (v: number) => boolean,
    ): void => {
      const value = ratio((t, what) => (what === 'fwd' ? t.fwdMs : t.fwdBwdMs));
      const fromMin = ratio((t, what) => (what === 'fwd' ? t.fwdMinMs : t.fwdBwdMinMs));
      if (value !== undefined && fromMin !== undefined)
        out[`${backend}: ${name}`] = { value, fromMin, target, met: met(value) };
    };
    const [n2, n8, n16, n16k1, n32] = [at(2, 2), at(8, 2), at(16, 2), at(16, 1), at(32, 2)];
    add(
      'fwd t(N16,K2) / t(N2,K2)',
      (m) => n16 && n2 && m(n16.sparse, 'fwd') / m(n2.sparse, 'fwd'),
      '≤ 1.5',
      (v) => v <= 1.5,
    );
    add(
      'fwd t(N32,K2) / t(N2,K2)',
      (m) => n32 && n2 && m(n32.sparse, 'fwd') / m(n2.sparse, 'fwd'),
      '≤ 2.0',
      (v) => v <= 2,
    );
    add(
      'f+b masked / sparse at N16,K1',
      (m) => n16k1 && m(n16k1.masked, 'fwdBwd') / m(n16k1.sparse, 'fwdBwd'),
      '≥ 5',
      (v) => v >= 5,
    );
    add(
      'fwd MoE(N8,K2) / dense FFN',
      (m) => n8 && m(n8.sparse, 'fwd') / m(n8.dense, 'fwd'),
      '≤ 2',
      (v) => v <= 2,
    );
    add(
      'f+b MoE(N8,K2) / dense FFN',
      (m) => n8 && m(n8.sparse, 'fwdBwd') / m(n8.dense, 'fwdBwd'),
      '≤ 2',
      (v) => v <= 2,
    );
  }
  return out;
}

function settings(args: readonly string[]) {
  const { flags } = parseFlags(FLAGS, args);
  const quick = flags.quick;
  return {
    ...flags,
    backends: flags.backend.split(','),
    experts: list(quick ? '2,8,16,32' : flags.experts),
    k: list(quick ? '1,2' : flags.k),
    reps: quick ? 3 : flags.reps,
    warmup: quick ? 1 : flags.warmup,
  };
}

/**
 * DeepSeekMoE's layouts at Mixtral-style N 8, K 2 (§3.1–3.2): the same expert parameters, total and active,
 * cut finer or with one expert made shared. If cost tracks active parameters these rows time alike.
 */
function variantConfigs(d: number, h: number): Array<{ name: string; config: MoeConfig }> {
  const base: MoeConfig = { dModel: d, dHidden: h, numExperts: 8, topK: 2 };
  return [
    { name: 'top-2 of 8', config: base },
    { name: '1 shared + top-1 of 7', config: isolateShared(base, 1) },
    { name: 'fine m=2: top-4 of 16', config: fineGrained(base, 2) },
    { name: 'fine m=4: top-8 of 32', config: fineGrained(base, 4) },
    { name: 'fine m=4, 1 shared: top-7 of 31', config: isolateShared(fineGrained(base, 4), 1) },
  ];
}

async function benchVariants(backend: string, flags: ReturnType<typeof settings>): Promise<VariantRow[]> {
  await setupNodeBackend(backend as 'wasm' | 'cpu');
  const rows: VariantRow[] = [];
  for (const { name, config } of variantConfigs(flags.d, flags.h)) {
    const t = await benchmarkVariant(config, flags.tokens, flags.reps, flags.warmup);
    const row = { backend, name, ...t };
    rows.push(row);
    console.log(
      `${backend.padEnd(7)} ${name.padEnd(32)} │ ${String(t.activeParams).padStart(7)} ${String(t.totalParams).padStart(8)} │` +
        `${t.fwdMs.toFixed(1).padStart(7)} ${t.fwdBwdMs.toFixed(1).padStart(7)}`,
    );
  }
  return rows;
}

type VariantRow = VariantTiming & { backend: string; name: string };

async function main(): Promise<void> {
  const flags = settings(process.argv.slice(2));
  if (flags.help) {
    console.log(`Usage: npm run bench:moe -- [flags]\n\n${describeFlags(FLAGS)}`);
    return;
  }
  tf.env().set('PROD', true); // silences tfjs's "install tfjs-node" banner
  console.log(
    `MoE layer benchmark: tokens ${flags.tokens}, d ${flags.d}, h ${flags.h}; median of ${flags.reps} after ${flags.warmup} warm-up.`,
  );
  console.log(HEADER);
  const rows: Row[] = [];
  for (const backend of flags.backends) rows.push(...(await benchBackend(backend, flags)));
  const variants: VariantRow[] = [];
  if (flags.variants) {
    console.log('\nLayouts of equal expert parameters (DeepSeekMoE §3.1–3.2), sparse layer:');
    console.log('backend   layout                           │  active    total │ fwd ms f+b ms');
    for (const backend of flags.backends) variants.push(...(await benchVariants(backend, flags)));
  }
  const ratios = targets(rows);
  console.log('\nTargets (from medians; the same ratio from the fastest runs in brackets):');
  for (const [name, r] of Object.entries(ratios)) {
    const values = `${r.value.toFixed(2).padStart(6)} [${r.fromMin.toFixed(2)}]`;
    console.log(`  ${name.padEnd(36)} ${values}  target ${r.target}: ${r.met ? 'met' : 'NOT met'}`);
  }
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    tfjs: tf.version_core,
    tokens: flags.tokens,
    dModel: flags.d,
    dHidden: flags.h,
    reps: flags.reps,
    warmup: flags.warmup,
  };
  mkdirSync(dirname(flags.out), { recursive: true });
  writeFileSync(flags.out, JSON.stringify({ meta, rows, ratios, variants }, null, 2) + '\n');
  console.log(`\nWrote ${flags.out}`);
}

await main();
