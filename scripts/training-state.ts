// Node-only: what a resumable training run keeps on disk, and the machine's description for training.json.
//
// <out>/train-state/ holds the latest snapshot: weights and AdamW moments in F32 safetensors (bit-exact) and
// state.json (step, elapsed time, the flags it was started with). The batches need no saved RNG state: batch
// `step` is a pure function of (seed, step) (models/text/batches.ts). The folder is deleted when training ends.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { MixtralConfig } from '../models/nn/config.ts';
import type { AdamWState } from '../models/training/optim.ts';
import { decodeSafetensors, encodeSafetensors, type HostTensor } from '../models/checkpoint/safetensors.ts';

export const STATE_DIR = 'train-state';

/** state.json: where a run stopped and what it was started with. */
export interface RunState {
  step: number;
  /** Seconds spent training so far, summed over resumed sessions. */
  elapsedSeconds: number;
  /** The flags of the original run; a resume must be given the same ones. */
  flags: Record<string, unknown>;
  config: MixtralConfig;
}

export function hasRunState(out: string): boolean {
  return existsSync(join(out, STATE_DIR, 'state.json'));
}

/** Writes the snapshot to a fresh folder and swaps it in, so a crash mid-save keeps the previous one. */
export function saveRunState(
  out: string,
  state: RunState,
  weights: ReadonlyMap<string, HostTensor>,
  optimizer: AdamWState,
): void {
  const dir = join(out, STATE_DIR);
  const temp = `${dir}.tmp`;
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp, { recursive: true });
  writeFileSync(join(temp, 'weights.safetensors'), encodeSafetensors(weights));
  const moments: [string, HostTensor][] = [];
  for (const [name, w] of weights) {
    moments.push([`m.${name}`, { shape: w.shape, data: optimizer.m.get(name)! }]);
    moments.push([`v.${name}`, { shape: w.shape, data: optimizer.v.get(name)! }]);
  }
  writeFileSync(join(temp, 'optimizer.safetensors'), encodeSafetensors(moments));
  writeFileSync(join(temp, 'state.json'), JSON.stringify({ ...state, optimizerStep: optimizer.step }, null, 2));
  rmSync(dir, { recursive: true, force: true });
  renameSync(temp, dir);
}

/** A file's bytes in a Uint8Array of its own (a Buffer may be a view into a larger shared pool). */
function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

export function loadRunState(out: string): {
  state: RunState;
  weights: Map<string, HostTensor>;
  optimizer: AdamWState;
} {
  const dir = join(out, STATE_DIR);
  const raw = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as RunState & { optimizerStep: number };
  const weights = new Map<string, HostTensor>();
  for (const [name, t] of decodeSafetensors(readBytes(join(dir, 'weights.safetensors'))).tensors) {
    weights.set(name, { shape: t.shape, data: t.data });
  }
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const [name, t] of decodeSafetensors(readBytes(join(dir, 'optimizer.safetensors'))).tensors) {
    (name.startsWith('m.') ? m : v).set(name.slice(2), t.data);
  }
  const { optimizerStep, ...state } = raw;
  return { state, weights, optimizer: { step: optimizerStep, m, v } };
}

export function deleteRunState(out: string): void {
  rmSync(join(out, STATE_DIR), { recursive: true, force: true });
}

/** The machine, for training.json: timings mean little without it. */
export function machineDescription(): Record<string, unknown> {
  const cores = cpus();
  return {
    cpu: cores[0]?.model ?? 'unknown',
    cores: cores.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    node: process.version,
  };
}
