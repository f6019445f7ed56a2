// Where lesson 7's widget finds its data: the shipped analyses (each checkpoint's analysis.json, fetched as
// its own chunk only when shown), the test split the live recompute routes, and the word-class lexicon.
// URLs are hashed by the bundler, so the offline cache never serves a stale file.
import type { RoutingAnalysis } from '../models/moe/analyze.ts';
import testManifestUrl from '../models/data/test.json?url';
import testIdsUrl from '../models/data/test.bin?url';
import testPosUrl from '../models/data/test-pos.bin?url';
import lexiconUrl from '../models/data/pos-lexicon.json?url';

/** analysis.json as `npm run moe -- analyze` writes it: the analysis plus where it came from. */
export type ShippedAnalysis = RoutingAnalysis & { checkpoint: string; split: string; seq: number; windows: number };

const analyses = import.meta.glob<ShippedAnalysis>('../models/checkpoints/*/analysis.json', { import: 'default' });

/** The shipped analysis of checkpoint `id`, or null when it has none. */
export async function shippedAnalysis(id: string): Promise<ShippedAnalysis | null> {
  const load = analyses[`../models/checkpoints/${id}/analysis.json`];
  return load ? load() : null;
}

export const TEST_DATA: Record<string, string> = {
  'test.json': testManifestUrl,
  'test.bin': testIdsUrl,
  'test-pos.bin': testPosUrl,
};

export const LEXICON_URL: string = lexiconUrl;
