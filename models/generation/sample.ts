// Choosing the next token from the model's logits: temperature, then nucleus (top-p) sampling
// (Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration", §3.1).

export interface SamplingOptions {
  /** 0 picks the most likely token; 1 samples the model's distribution; above 1 flattens it. */
  temperature: number;
  /** Keep the smallest set of most likely tokens whose probabilities add up to at least topP (0 < topP ≤ 1). */
  topP: number;
}

export function checkSampling({ temperature, topP }: SamplingOptions): void {
  if (!(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new RangeError(`The temperature must be a number ≥ 0; got ${temperature}.`);
  }
  if (!(topP > 0 && topP <= 1)) throw new RangeError(`top-p must be greater than 0 and at most 1; got ${topP}.`);
}

/** The index of the largest logit (the first, on ties). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/** Draws one token id; `random` returns uniform numbers in [0, 1) (pass a seeded one for reproducibility). */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions, random: () => number): number {
  checkSampling(options);
  if (options.temperature === 0) return argmax(logits);
  const max = logits[argmax(logits)]!;
  const weights = Array.from(logits, (z, id) => ({ id, p: Math.exp((z - max) / options.temperature) }));
  const total = weights.reduce((sum, w) => sum + w.p, 0);
  weights.sort((a, b) => b.p - a.p || a.id - b.id);
  // The nucleus: most likely first, until the kept mass reaches top-p.
  const nucleus: typeof weights = [];
  let kept = 0;
  for (const w of weights) {
    nucleus.push(w);
    kept += w.p;
    if (kept >= options.topP * total) break;
  }
  let r = random() * kept;
  for (const w of nucleus) {
    r -= w.p;
    if (r < 0) return w.id;
  }
  return nucleus[nucleus.length - 1]!.id;
}
