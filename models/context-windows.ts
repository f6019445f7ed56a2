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

/** Rows [from, to) of a row-major [rows, width] array. */
export function sliceRows(values: ArrayLike<number>, width: number, from: number, to: number): number[] {
  return Array.from({ length: (to - from) * width }, (_, i) => values[from * width + i]!);
}
