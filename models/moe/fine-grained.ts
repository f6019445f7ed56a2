// Fine-grained expert segmentation and shared-expert isolation, as sizes: DeepSeekMoE, Dai et al. 2024.
//
// §3.1: split each of N experts (width h) into m experts of width h/m, and route each token to mK of the
// mN instead of K of N. Expert parameters stay N·3dh in total and K·3dh active, but the number of ways to
// pick the active set grows from C(N, K) to C(mN, mK) — e.g. C(16, 2) = 120 → C(64, 8) = 4,426,165,368 for
// m = 4 (the paper's own example) — so each expert can cover a narrower piece of knowledge.
// §3.2: then make S of the mN experts shared (always used): mN − S routed, mK − S chosen; totals unchanged.
// Only the router changes size (one row per expert), which is the small price the counts below show.
// Plain numbers, no tfjs: the lesson's widget builds its race lanes with these on the page's main thread.
// split-experts.ts cuts a coarse layer's weights into the fine-grained layer that computes the same output.

import { checkK } from './check-k.ts';

/** The sizes these transforms change; any MoE config with these fields. */
export interface ExpertLayout {
  numExperts: number;
  topK: number;
  dHidden: number;
  sharedExperts?: number;
}

/** N → mN, K → mK, h → h/m (DeepSeekMoE §3.1). Throws unless m divides h. */
export function fineGrained<C extends ExpertLayout>(config: C, m: number): C {
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`The split m must be a whole number ≥ 1; got ${m}.`);
  if (config.dHidden % m !== 0) {
    throw new RangeError(
      `Each expert's width (${config.dHidden}) must divide by m = ${m} to split it into ${m} equal experts.`,
    );
  }
  return { ...config, numExperts: config.numExperts * m, topK: config.topK * m, dHidden: config.dHidden / m };
}

/** Make S of the routed experts shared: N → N − S routed, K → K − S chosen, S shared (DeepSeekMoE §3.2). */
export function isolateShared<C extends ExpertLayout>(config: C, s: number): C {
  if (!Number.isInteger(s) || s < 0) throw new RangeError(`The shared experts S must be a whole number ≥ 0; got ${s}.`);
  if (s >= config.topK) {
    throw new RangeError(
      `Isolating ${s} shared experts out of K = ${config.topK} would leave no routed choice; use S < K.`,
    );
  }
  checkK(config.topK - s, config.numExperts - s);
  return {
    ...config,
    numExperts: config.numExperts - s,
    topK: config.topK - s,
    sharedExperts: (config.sharedExperts ?? 0) + s,
  };
}

/** C(n, k): the number of different sets of k experts a token can be routed to, as a float. */
export function expertCombinations(n: number, k: number): number {
  checkK(k, n);
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}
