import { describe, expect, it } from 'vitest';
import { groupTokens } from '../../components/token-groups.ts';
import { Tokenizer } from '../../models/text/tokenizer.ts';
import tokenizerJson from '../../models/checkpoints/tokenizer.json' with { type: 'json' };

const tokenizer = Tokenizer.fromJSON(tokenizerJson as Parameters<typeof Tokenizer.fromJSON>[0]);
const pieces = (text: string): string[] => tokenizer.encode(text).ids.map((id) => tokenizer.decode([id]));

describe('groupTokens', () => {
  it('keeps whole tokens as groups of one', () => {
    const text = 'The jury said';
    expect(groupTokens(pieces(text), text).map((g) => g.text)).toEqual(pieces(text));
  });

  it('shows non-Latin text as readable groups, with their bytes, instead of a row of �', () => {
    const text = 'Привет, мир 日本';
    const tokens = pieces(text);
    expect(tokens.filter((t) => t.includes('\uFFFD')).length).toBeGreaterThan(3); // what the chips showed
    const groups = groupTokens(tokens, text);
    expect(groups.map((g) => g.text).join('')).toBe(text);
    expect(groups.some((g) => g.text.includes('\uFFFD'))).toBe(false);
    const japanese = groups.find((g) => g.text.includes('日'));
    expect(japanese?.bytes).toMatch(/^E6 97 A5/);
    // Every token belongs to exactly one group, in order.
    expect(groups.flatMap((g) => Array.from({ length: g.end - g.start }, (_, i) => g.start + i))).toEqual(
      tokens.map((_, i) => i),
    );
  });

  it('an end-of-text marker in front, and text that no longer matches, stand alone', () => {
    const text = 'é';
    const groups = groupTokens(['<|endoftext|>', ...pieces(text)], text);
    expect(groups[0]).toEqual({ start: 0, end: 1, text: '<|endoftext|>' });
    expect(groups[1]).toMatchObject({ text: 'é', bytes: 'C3 A9' });
    expect(groupTokens(['\uFFFD', '\uFFFD'], '').map((g) => g.text)).toEqual(['\uFFFD', '\uFFFD']);
  });
});
