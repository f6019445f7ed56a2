/**
 * Sliding windows over a sequence longer than the model's context: how text longer than 64 tokens is still
 * routed. Windows of `context` tokens advance by half a window; the first window keeps all its tokens, each
 * later one keeps only the tokens after the previous window's end, so every token is routed once, with at
 * least half a window of the text before it as context.
 */

/** One window: positions [start, end) run through the model; [keepFrom, end) are the ones it reports. */
export interface ContextWindow {
  start: number;
  end: number;
  keepFrom: number;
}

/** The windows covering `length` positions with a `context`-position model (one window when it fits). */
export function slidingWindows(length: number, context: number): ContextWindow[] {
  if (!Number.isInteger(context) || context < 2) throw new RangeError(`context must be ≥ 2; got ${context}.`);
  const stride = Math.floor(context / 2);
  const windows: ContextWindow[] = [{ start: 0, end: Math.min(length, context), keepFrom: 0 }];
  while (windows.at(-1)!.end < length) {
    const previous = windows.at(-1)!;
    const start = previous.start + stride;
    windows.push({ start, end: Math.min(start + context, length), keepFrom: previous.end });
  }
  return windows;
}

/** One window's routing for one layer, as the transformer reports it (row-major typed arrays). */
export interface WindowRouting {
  expertIndex: Int32Array; // [windowTokens, k]
  gateWeights: Float32Array; // [windowTokens, k]
  probs: Float32Array; // [windowTokens, numExperts]
  /** 1 where the capacity limit dropped the choice: [windowTokens, k]; absent = none dropped. */
  dropped?: Uint8Array;
}

/** A layer's routing over the whole sequence: the kept rows of every window, end to end. */
export interface SequenceRouting extends WindowRouting {
  dropped: Uint8Array; // [tokens, k]
  expertTokens: Int32Array; // [numExperts]: tokens each expert computed (dropped choices left out)
  expertMeanProb: Float32Array; // [numExperts]: mean router probability over the sequence
}

/**
 * Joins the rows each window keeps ([keepFrom, end) of `windows[w]`) into one layer's routing, with the
 * per-expert counts and mean probabilities recomputed over the joined rows.
 */
export function joinWindowRouting(
  windows: readonly ContextWindow[],
  parts: readonly WindowRouting[],
  k: number,
  numExperts: number,
): SequenceRouting {
  const rows = windows.reduce((sum, w) => sum + (w.end - w.keepFrom), 0);
  const expertIndex = new Int32Array(rows * k);
  const gateWeights = new Float32Array(rows * k);
  const probs = new Float32Array(rows * numExperts);
  const dropped = new Uint8Array(rows * k);
  let row = 0;
  windows.forEach((w, i) => {
    const part = parts[i]!;
    const [from, to] = [w.keepFrom - w.start, w.end - w.start];
    expertIndex.set(part.expertIndex.subarray(from * k, to * k), row * k);
    gateWeights.set(part.gateWeights.subarray(from * k, to * k), row * k);
    probs.set(part.probs.subarray(from * numExperts, to * numExperts), row * numExperts);
    if (part.dropped) dropped.set(part.dropped.subarray(from * k, to * k), row * k);
    row += to - from;
  });
  const expertTokens = new Int32Array(numExperts);
  expertIndex.forEach((e, slot) => (expertTokens[e]! += 1 - dropped[slot]!));
  const expertMeanProb = new Float32Array(numExperts);
  for (let t = 0; t < rows; t++) for (let e = 0; e < numExperts; e++) expertMeanProb[e]! += probs[t * numExperts + e]!;
  for (let e = 0; e < numExperts; e++) expertMeanProb[e]! /= Math.max(rows, 1);
  return { expertIndex, gateWeights, probs, dropped, expertTokens, expertMeanProb };
}
