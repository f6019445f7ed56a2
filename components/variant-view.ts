// What the "After Mixtral" widget shows, shaped from the engine's results: each lane's readouts and one
// passage's routing summarised per variant. Data shaping only; the routing itself is models/moe's.
import type { TrainedRouting, TrainProgressMessage } from '../models/engine/protocol.ts';

/** One layer of a routed passage, as the routing view lists it. */
export interface RoutingSummary {
  /** Per token: its text and the routed experts it reached (1-based), best first. */
  tokens: { text: string; experts: number[] }[];
  /** Tokens (Soft MoE: slots) each expert processed. */
  expertTokens: number[];
  /** Tokens no expert took. */
  unrouted: number;
  sharedExperts: number;
  routing: TrainedRouting['routing'];
}

/** Layer `layer` (1-based) of a routed passage; Soft MoE lists the two experts with most combine weight. */
export function summarise(routed: TrainedRouting, layer: number): RoutingSummary | null {
  const l = routed.layers[layer - 1];
  if (!l) return null;
  const keep = routed.routing === 'soft-moe' ? 2 : Infinity;
  const tokens = routed.tokens.map((text, t) => ({
    text,
    experts: (l.experts[t] ?? []).slice(0, keep).map((e) => e + 1),
  }));
  return {
    tokens,
    expertTokens: l.expertTokens,
    unrouted: routed.routing === 'expert-choice' ? tokens.filter((t) => t.experts.length === 0).length : 0,
    sharedExperts: routed.sharedExperts,
    routing: routed.routing,
  };
}

/** Share of the step's tokens no expert took, summed over layers, or null where the run does not report it. */
export function unroutedShare(p: TrainProgressMessage | null, tokensPerStep: number): number | null {
  if (!p?.unroutedTokens) return null;
  const layers = p.unroutedTokens.length;
  return p.unroutedTokens.reduce((a, b) => a + b, 0) / (tokensPerStep * layers);
}
