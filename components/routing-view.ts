// What lesson 3's routing display shows, shaped from the engine's results: the routed text followed by the
// generated tokens, per layer; the chip groups; the focused token's gate. Data shaping only, no model math.
import type { GeneratedTokenMessage, RouteResult, RoutedToken } from '../models/engine/protocol.ts';
import { expertColor } from './expert-colors.ts';
import { formatToken } from './format.ts';
import { groupTokens, type TokenGroup } from './token-groups.ts';

/** One layer's routing of every shown token: [tokens, k] experts and weights, [tokens, N] probabilities. */
export interface ShownLayer {
  k: number;
  expertIndex: number[];
  gateWeights: number[];
  probs: number[];
}

/** One bar of a token's gate chart. */
export interface GateBar {
  expert: string;
  p: number;
  chosen: boolean;
  color: string;
}

/** The routed text's tokens, then the generated ones. */
export function shownTokens(routed: RouteResult | null, generated: readonly GeneratedTokenMessage[]): RoutedToken[] {
  return [...(routed?.tokens ?? []), ...generated.map((g) => g.token)];
}

/** Per layer, the routing of every shown token: the routed input, then one step per generated token. */
export function shownLayers(routed: RouteResult | null, generated: readonly GeneratedTokenMessage[]): ShownLayer[] {
  return (routed?.layers ?? []).map((layer, l) => ({
    k: routed!.topK,
    expertIndex: [...layer.expertIndex, ...generated.flatMap((g) => g.layers[l]?.expertIndex ?? [])],
    gateWeights: [...layer.gateWeights, ...generated.flatMap((g) => g.layers[l]?.gateWeights ?? [])],
    probs: [...layer.probs, ...generated.flatMap((g) => g.layers[l]?.probs ?? [])],
  }));
}

/**
 * Chip groups of the routed text (`routedGroups`, lined up with the text it was routed for) followed by those
 * of the continuation. The routed part is passed in, so streaming a token regroups only the continuation.
 */
export function shownGroups(
  routedGroups: readonly TokenGroup[],
  routedCount: number,
  generated: readonly GeneratedTokenMessage[],
): TokenGroup[] {
  const continuation = groupTokens(
    generated.map((g) => g.token.text),
    generated.at(-1)?.text ?? '',
  );
  return [
    ...routedGroups,
    ...continuation.map((g) => ({ ...g, start: g.start + routedCount, end: g.end + routedCount })),
  ];
}

/** Token `t` as a heading names it: “·jury”, or “日” (byte token 2 of 3). */
export function tokenName(groups: readonly TokenGroup[], tokens: readonly RoutedToken[], t: number): string {
  const group = groups.find((g) => t >= g.start && t < g.end);
  if (!group || group.end - group.start === 1) return `“${formatToken(tokens[t]?.text ?? '')}”`;
  return `“${group.text}” (byte token ${t - group.start + 1} of ${group.end - group.start})`;
}

/** Token `t`'s gate in every layer: each expert's router probability, the chosen ones marked. */
export function gateBars(layers: readonly ShownLayer[], t: number, numExperts: number): GateBar[][] {
  return layers.map((l) => {
    const chosen = new Set(l.expertIndex.slice(t * l.k, (t + 1) * l.k));
    return Array.from({ length: numExperts }, (_, e) => ({
      expert: `E${e + 1}`,
      p: l.probs[t * numExperts + e] ?? 0,
      chosen: chosen.has(e),
      color: expertColor(e),
    }));
  });
}
