// The optimiser: AdamW with PyTorch's semantics, nanoGPT's warm-up + cosine learning-rate schedule, and
// global-norm gradient clipping. Pure tfjs (no Node, no DOM), so the browser could fine-tune with it too.

import * as tf from '@tensorflow/tfjs-core';

/** AdamW's hyper-parameters (PyTorch `torch.optim.AdamW` names). */
export interface AdamWConfig {
  beta1: number;
  beta2: number;
  /** Added to √v̂ so that a parameter with no gradient history does not divide by zero. */
  eps: number;
  /** λ of the decoupled decay p ← p − lr·λ·p (Loshchilov & Hutter 2019), applied to `decays(name)` only. */
  weightDecay: number;
}

/** nanoGPT's defaults: β₂ 0.95 rather than PyTorch's 0.999, so the second moment forgets early spikes sooner. */
export const DEFAULT_ADAMW: AdamWConfig = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };

/**
 * Which parameters decay. nanoGPT's rule: every tensor of rank ≥ 2 (matmul weights, embeddings, routers)
 * decays; rank-1 tensors (RMSNorm gains) do not, since shrinking a gain towards 0 only fights the norm.
 */
export function decaysByRank(shape: readonly number[]): boolean {
  return shape.length >= 2;
}

/** Adam's moments for one parameter: m (first) and v (second), shaped like the parameter. */
interface Moments {
  m: tf.Variable;
  v: tf.Variable;
}

/** The optimiser's state as plain arrays, to save for a resumed run and load back bit for bit. */
export interface AdamWState {
  /** Updates applied so far: t in the bias corrections 1 − βᵗ. */
  step: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

/**
 * AdamW over named tfjs Variables. One `apply` is PyTorch's `optimizer.step()` (foreach=False):
 *   p ← p − lr·λ·p                     (decoupled decay, decaying params only)
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
 *   p ← p − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
 */
export class AdamW {
  readonly config: AdamWConfig;
  private readonly params: Map<string, tf.Variable>;
  private readonly moments = new Map<string, Moments>();
  private readonly decays: Set<string>;
  /** Updates applied so far. */
  step = 0;

  constructor(params: Map<string, tf.Variable>, config: Partial<AdamWConfig> = {}) {
    this.config = { ...DEFAULT_ADAMW, ...config };
    this.params = params;
    this.decays = new Set([...params].filter(([, p]) => decaysByRank(p.shape)).map(([name]) => name));
    for (const [name, p] of params) {
      // Unnamed: tfjs variable names are global, and two optimisers may hold moments for the same model.
      this.moments.set(
        name,
        tf.tidy(() => ({ m: tf.variable(tf.zerosLike(p), false), v: tf.variable(tf.zerosLike(p), false) })),
      );
    }
  }

  /** Names of the parameters that weight decay applies to. */
  decayedNames(): string[] {
    return [...this.decays];
  }

  /** One update with learning rate `lr`. `grads` maps parameter names to gradients; missing ones are skipped. */
  apply(grads: tf.NamedTensorMap, lr: number): void {
    this.step += 1;
    const { beta1, beta2, eps, weightDecay } = this.config;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    for (const [name, p] of this.params) {
      const g = grads[name];
      if (g === undefined) continue;
      const { m, v } = this.moments.get(name)!;
      tf.tidy(() => {
        const mNew = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(mNew);
        v.assign(vNew);
        const decayed = this.decays.has(name) && weightDecay > 0 ? tf.mul(p, 1 - lr * weightDecay) : p;
        const denom = tf.add(tf.sqrt(tf.div(vNew, correction2)), eps);
        p.assign(tf.sub(decayed, tf.mul(tf.div(mNew, denom), lr / correction1)));
      });
    }
  }

  /** A copy of the state as plain arrays (reads the moments back from the backend). */
  getState(): AdamWState {
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const [name, moments] of this.moments) {
      m.set(name, moments.m.dataSync() as Float32Array);
      v.set(name, moments.v.dataSync() as Float32Array);
    }
    return { step: this.step, m, v };
  }

  /** Restores a state saved by `getState`, for a resumed run; throws if it belongs to other parameters. */
  setState(state: AdamWState): void {
    for (const [name, moments] of this.moments) {
      const m = state.m.get(name);
      const v = state.v.get(name);
      if (!m || !v || m.length !== moments.m.size || v.length !== moments.v.size) {
        throw new Error(
          `The saved optimiser state has no moments of the right size for "${name}"; it was saved for a different model. Start without --resume.`,
        );
      }
      tf.tidy(() => {
        moments.m.assign(tf.tensor(m, moments.m.shape));
        moments.v.assign(tf.tensor(v, moments.v.shape));
      });
    }
    this.step = state.step;
  }

  dispose(): void {
    for (const { m, v } of this.moments.values()) {
      m.dispose();
      v.dispose();
    }
    this.moments.clear();
  }
}

/** The learning-rate schedule's knobs (nanoGPT's names in the comments). */
export interface LrSchedule {
  /** Peak rate, reached at the end of warm-up (`learning_rate`). */
  maxLr: number;
  /** Floor at and after `decaySteps` (`min_lr`; nanoGPT suggests maxLr / 10). */
  minLr: number;
  /** Linear warm-up length (`warmup_iters`). */
  warmupSteps: number;
  /** Step at which the cosine reaches minLr (`lr_decay_iters`, usually the run's length). */
  decaySteps: number;
}

/**
 * nanoGPT's `get_lr(it)`: linear warm-up to maxLr over warmupSteps, then a half cosine down to minLr at
 * decaySteps, then minLr. Step 0 gets maxLr/(warmup+1) rather than 0 so the first update is not wasted.
 */
export function learningRate(step: number, s: LrSchedule): number {
  if (step < s.warmupSteps) return (s.maxLr * (step + 1)) / (s.warmupSteps + 1);
  if (step >= s.decaySteps) return s.minLr;
  const ratio = (step - s.warmupSteps) / (s.decaySteps - s.warmupSteps);
  const coeff = 0.5 * (1 + Math.cos(Math.PI * ratio)); // 1 → 0
  return s.minLr + coeff * (s.maxLr - s.minLr);
}

/**
 * Global-norm clipping, as PyTorch's `clip_grad_norm_`: the norm is that of all gradients concatenated; if
 * it exceeds maxNorm every gradient is scaled by maxNorm / (norm + 1e-6). Clipping the whole vector rather
 * than each tensor keeps the update's direction. Returns new tensors (the caller disposes both sets) and
 * the norm before clipping, which is worth logging: spikes in it precede loss spikes.
 */
export function clipByGlobalNorm(
  grads: tf.NamedTensorMap,
  maxNorm: number,
): { grads: tf.NamedTensorMap; norm: number } {
  const names = Object.keys(grads);
  const norm = Math.sqrt(tf.tidy(() => tf.addN(names.map((n) => tf.sum(tf.square(grads[n]!)))).dataSync()[0]!));
  const scale = Number.isFinite(maxNorm) && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
  const clipped: tf.NamedTensorMap = {};
  for (const n of names) clipped[n] = tf.tidy(() => (scale === 1 ? tf.clone(grads[n]!) : tf.mul(grads[n]!, scale)));
  return { grads: clipped, norm };
}
