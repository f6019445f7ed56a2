// Routing analysis over a held-out split, window by window: the one path from documents (token ids, genre,
// word class per token) to a RoutingAnalysis. `npm run moe -- analyze` runs it over the corpus to write each
// checkpoint's analysis.json; the engine worker runs it over the same test split shipped as models/data/test.*,
// so the same windows give the same numbers in both.
import {
  analyzeRouting,
  type AnalyzeRoutingOptions,
  type PosClass,
  type RoutedSequence,
  type RoutingAnalysis,
} from './analyze.ts';

/** One held-out document: its tokens, and per token its word class (null for none). */
export interface AnalysisDocument {
  genre: string;
  ids: ArrayLike<number>;
  posClass: readonly (PosClass | null)[];
}

/** A window of one document: `seq` consecutive tokens that never cross into the next document. */
export interface AnalysisWindow {
  ids: number[];
  genre: string;
  posClass: (PosClass | null)[];
}

/**
 * Cuts each document into whole windows of `seq` tokens from its start (a shorter tail is left out), at most
 * `perDoc` per document (0 = all), so every token keeps its own document's genre and tag.
 */
export function documentWindows(docs: readonly AnalysisDocument[], seq: number, perDoc: number): AnalysisWindow[] {
  if (!Number.isInteger(seq) || seq < 1)
    throw new RangeError(`The window length must be a whole number ≥ 1; got ${seq}.`);
  if (!Number.isInteger(perDoc) || perDoc < 0) {
    throw new RangeError(`Windows per document must be a whole number ≥ 0 (0 = all); got ${perDoc}.`);
  }
  const windows: AnalysisWindow[] = [];
  for (const doc of docs) {
    const count = Math.floor(doc.ids.length / seq);
    for (let w = 0; w < count && (perDoc === 0 || w < perDoc); w++) {
      windows.push({
        ids: Array.from({ length: seq }, (_, t) => doc.ids[w * seq + t]!),
        genre: doc.genre,
        posClass: doc.posClass.slice(w * seq, (w + 1) * seq),
      });
    }
  }
  return windows;
}

/** Routes a batch of equal-length windows: per layer, the chosen experts, batch-major [windows · seq · k]. */
export type RouteWindows = (windows: number[][], k: number) => Promise<{ expertIndex: Int32Array }[]>;

export interface AnalyzeWindowsOptions extends AnalyzeRoutingOptions {
  /** Experts per token at inference. */
  k: number;
  numExperts: number;
  /** Windows per forward pass (default 16). */
  batch?: number;
  /** Called after each batch with the windows done so far. */
  onProgress?: (done: number, total: number) => void;
  /** Checked between batches; when set, the analysis covers the windows done so far. */
  cancelled?: () => boolean;
  /** Awaited between batches (the engine lets a cancel message in). */
  between?: () => Promise<void>;
}

export interface WindowsAnalysis {
  analysis: RoutingAnalysis;
  /** Windows analysed (fewer than given when cancelled). */
  windows: number;
  cancelled: boolean;
}

/** Routes the windows batch by batch and aggregates where every token went (models/moe/analyze.ts). */
export async function analyzeWindows(
  route: RouteWindows,
  windows: readonly AnalysisWindow[],
  options: AnalyzeWindowsOptions,
): Promise<WindowsAnalysis> {
  const batch = options.batch ?? 16;
  if (!Number.isInteger(batch) || batch < 1)
    throw new RangeError(`The batch must be a whole number ≥ 1; got ${batch}.`);
  const { k } = options;
  const sequences: RoutedSequence[] = [];
  let cancelled = false;
  for (let start = 0; start < windows.length; start += batch) {
    if (options.cancelled?.()) {
      cancelled = true;
      break;
    }
    const group = windows.slice(start, start + batch);
    const seq = group[0]!.ids.length;
    const routing = await route(
      group.map((w) => w.ids),
      k,
    );
    group.forEach((w, b) => {
      sequences.push({
        // Tokens are batch-major (token = b·seq + s), so row b is one contiguous slice.
        expertIndex: routing.map((layer) => layer.expertIndex.slice(b * seq * k, (b + 1) * seq * k)),
        genre: Array.from({ length: seq }, () => w.genre),
        posClass: w.posClass,
        ids: w.ids,
      });
    });
    options.onProgress?.(Math.min(start + batch, windows.length), windows.length);
    await options.between?.();
  }
  return {
    analysis: analyzeRouting(sequences, options.numExperts, k, options),
    windows: sequences.length,
    cancelled,
  };
}
