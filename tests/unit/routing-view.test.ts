// Lesson 3's display shaping: routed text then continuation, one chip group per character, a token's gate.
import { describe, expect, it } from 'vitest';
import type { GeneratedTokenMessage, RouteResult } from '../../models/engine/protocol.ts';
import { gateBars, shownGroups, shownLayers, shownTokens, tokenName } from '../../components/routing-view.ts';
import { groupTokens } from '../../components/token-groups.ts';

const layer = (expertIndex: number[], probs: number[]) => ({
  expertIndex,
  gateWeights: expertIndex.map(() => 1),
  probs,
  expertTokens: [],
});
const routed = {
  tokens: [
    { id: 1, text: 'caf' },
    { id: 2, text: '\uFFFD' },
    { id: 3, text: '\uFFFD' },
  ],
  topK: 1,
  numExperts: 2,
  layers: [layer([0, 1, 1], [0.9, 0.1, 0.2, 0.8, 0.3, 0.7])],
} as unknown as RouteResult;
const step = (text: string, all: string, expert: number): GeneratedTokenMessage => ({
  token: { id: 9, text },
  text: all,
  layers: [layer([expert], expert === 0 ? [0.6, 0.4] : [0.4, 0.6])],
  ms: 1,
});

describe('routing view', () => {
  const generated = [step(' ok', ' ok', 0), step('!', ' ok!', 1)];

  it('appends the continuation to the routed tokens, layer by layer', () => {
    expect(shownTokens(routed, generated).map((t) => t.text)).toEqual(['caf', '\uFFFD', '\uFFFD', ' ok', '!']);
    expect(shownLayers(routed, generated)[0]!.expertIndex).toEqual([0, 1, 1, 0, 1]);
  });

  it('groups the byte tokens of é, and numbers the continuation after the routed text', () => {
    const groups = shownGroups(groupTokens(['caf', '\uFFFD', '\uFFFD'], 'café'), 3, generated);
    expect(groups).toEqual([
      { start: 0, end: 1, text: 'caf' },
      { start: 1, end: 3, text: 'é', bytes: 'C3 A9' },
      { start: 3, end: 4, text: ' ok' },
      { start: 4, end: 5, text: '!' },
    ]);
    const tokens = shownTokens(routed, generated);
    expect(tokenName(groups, tokens, 2)).toBe('“é” (byte token 2 of 2)');
    expect(tokenName(groups, tokens, 3)).toBe('“·ok”');
  });

  it('a token’s gate: one bar per expert, the chosen one marked', () => {
    const bars = gateBars(shownLayers(routed, generated), 1, 2);
    expect(bars[0]!.map((b) => [b.expert, b.p, b.chosen])).toEqual([
      ['E1', 0.2, false],
      ['E2', 0.8, true],
    ]);
  });
});
