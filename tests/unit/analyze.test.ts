// Routing statistics on a hand-built routing whose answers can be counted by eye.
import { describe, expect, it } from 'vitest';
import { analyzeRouting, posClassOfTag, randomRepetition, tokenPosClasses } from '../../models/moe/analyze.ts';
import type { RoutedSequence } from '../../models/moe/analyze.ts';

describe('posClassOfTag', () => {
  it('groups Brown tags, ignoring headline/title markers, foreign-word prefixes and contractions', () => {
    const cases: [string, string][] = [
      ['nn', 'noun'],
      ['nns-tl', 'noun'],
      ['np$', 'noun'],
      ['vbd', 'verb'],
      ['bedz*', 'verb'],
      ['md', 'verb'],
      ['jjt', 'adjective'],
      ['ql', 'adverb'],
      ['*', 'adverb'],
      ['pps+bez', 'pronoun'],
      ['at', 'determiner'],
      ['wdt', 'determiner'],
      ['fw-in', 'preposition'],
      ['to', 'preposition'],
      ['cs', 'conjunction'],
      ['.', 'punctuation'],
      ["''", 'punctuation'],
      ['--', 'punctuation'],
      ['cd-hl', 'number'],
      ['od', 'number'],
      ['uh', 'other'],
      ['nil', 'other'],
    ];
    for (const [tag, cls] of cases) expect(posClassOfTag(tag), tag).toBe(cls);
  });
  it('maps tokens to their words’ classes, null for tokens outside any word', () => {
    expect(tokenPosClasses([0, 0, -1, 1], ['nn', 'vbd'])).toEqual(['noun', 'noun', null, 'verb']);
  });
});

describe('randomRepetition', () => {
  it('gives Mixtral Table 5’s reference rates for N = 8, K = 2: 12.5 % and ≈ 46 %', () => {
    const r = randomRepetition(8, 2);
    expect(r.firstChoice).toBe(0.125);
    expect(r.anyChoice).toBeCloseTo(1 - 15 / 28, 12);
  });
  it('is 1/N for both when K = 1, and 1 for the dense model', () => {
    expect(randomRepetition(8, 1)).toEqual({ firstChoice: 0.125, anyChoice: 0.125 });
    expect(randomRepetition(1, 1)).toEqual({ firstChoice: 1, anyChoice: 1 });
  });
});

describe('analyzeRouting', () => {
  // N = 4, K = 2, one layer, four tokens: t0 → {0, 1}, t1 → {0, 2}, t2 → {3, 1}, t3 → {3, 2}.
  const sequence: RoutedSequence = {
    expertIndex: [Int32Array.from([0, 1, 0, 2, 3, 1, 3, 2])],
    genre: ['a', 'a', 'b', 'b'],
    posClass: ['noun', 'verb', null, 'noun'],
  };
  const analysis = analyzeRouting([sequence], 4, 2);

  it('counts first choices and routing slots per expert', () => {
    expect(analysis.tokens).toBe(4);
    expect(analysis.uniformShare).toBe(0.25);
    expect(analysis.overall[0]!.top1).toEqual([0.5, 0, 0, 0.5]);
    expect(analysis.overall[0]!.topK).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('splits the load by genre, and measures how far each genre is from the average', () => {
    expect(analysis.byGenre.a![0]!.top1).toEqual([1, 0, 0, 0]);
    expect(analysis.byGenre.a![0]!.topK).toEqual([0.5, 0.25, 0.25, 0]);
    expect(analysis.byGenre.b![0]!.topK).toEqual([0, 0.25, 0.25, 0.5]);
    expect(analysis.genreDivergence.a![0]).toBeCloseTo(0.25, 12);
  });

  it('splits the load by word class, leaving out tokens with no word', () => {
    expect(analysis.byPosClass.noun![0]!.tokens).toBe(2);
    expect(analysis.byPosClass.noun![0]!.top1).toEqual([0.5, 0, 0, 0.5]);
    expect(analysis.byPosClass.verb![0]!.top1).toEqual([1, 0, 0, 0]);
    expect(Object.keys(analysis.byPosClass)).toEqual(['noun', 'verb']);
  });

  it("names each expert's most over-represented class", () => {
    const [e0, e1, , e3] = analysis.expertSpecialisation[0]!;
    expect(e0).toMatchObject({ tokens: 2, topClass: 'verb', lift: 1.5 }); // ½ of its tokens vs ⅓ overall
    expect(e1).toMatchObject({ tokens: 0, topClass: null });
    expect(e3).toMatchObject({ tokens: 1, topClass: 'noun' });
    expect(e3!.lift).toBeCloseTo(1.5, 12);
  });

  it('counts consecutive tokens that share their first choice, or any chosen expert', () => {
    const r = analysis.repetition.overall[0]!;
    expect(r.pairs).toBe(3);
    expect(r.firstChoice).toBeCloseTo(2 / 3, 12); // (t0, t1) and (t2, t3)
    expect(r.anyChoice).toBeCloseTo(2 / 3, 12); // (t1, t2) share nothing
    expect(analysis.repetition.byGenre.a![0]).toEqual({ pairs: 2, firstChoice: 0.5, anyChoice: 0.5 });
  });

  it('never pairs the last token of one sequence with the first of the next', () => {
    const two = analyzeRouting([sequence, sequence], 4, 2);
    expect(two.repetition.overall[0]!.pairs).toBe(6);
  });

  it('rejects routing that does not hold K choices per token', () => {
    expect(() => analyzeRouting([{ ...sequence, expertIndex: [Int32Array.from([0, 1])] }], 4, 2)).toThrow(/tokens × K/);
  });

  it('lists each expert’s over-received classes and tokens with the counts behind the factor', () => {
    // 40 tokens, one layer, N = 2, K = 1: id 7 (a comma) always goes to expert 1, id 3 (a noun) to expert 0
    // except 4 times in 20.
    const ids = [...Array.from({ length: 20 }, () => 7), ...Array.from({ length: 20 }, () => 3)];
    const experts = ids.map((id, i) => (id === 7 ? 1 : i < 24 ? 1 : 0));
    const seq: RoutedSequence = {
      expertIndex: [Int32Array.from(experts)],
      genre: ids.map(() => 'a'),
      posClass: ids.map((id) => (id === 7 ? 'punctuation' : 'noun')),
      ids,
    };
    const a = analyzeRouting([seq], 2, 1, { tokenText: (id) => (id === 7 ? ',' : 'cat') });
    const [e0, e1] = a.expertEnrichment[0]!;
    // Expert 1 takes 24 of 40 tokens (share 0.6); all 20 commas: lift 1 / 0.6.
    expect(e1!.tokens).toBe(24);
    expect(e1!.tokenIds[0]).toMatchObject({ id: 7, text: ',', count: 20, total: 20 });
    expect(e1!.tokenIds[0]!.lift).toBeCloseTo(1 / 0.6, 12);
    expect(e1!.classes[0]).toMatchObject({ posClass: 'punctuation', count: 20, classTokens: 20 });
    // Expert 0: 16 of the 20 nouns and nothing else, share 0.4: lift (16/20) / 0.4 = 2.
    expect(e0!.tokenIds).toEqual([{ id: 3, text: 'cat', count: 16, total: 20, lift: 2 }]);
    expect(e0!.classes).toEqual([{ posClass: 'noun', count: 16, classTokens: 20, lift: 2 }]);
  });

  it('lists no token seen fewer than MIN_TOKEN_OCCURRENCES times', () => {
    expect(analysis.expertEnrichment[0]!.every((e) => e.tokenIds.length === 0)).toBe(true);
    const withIds = analyzeRouting([{ ...sequence, ids: [1, 2, 3, 4] }], 4, 2);
    expect(withIds.expertEnrichment[0]!.every((e) => e.tokenIds.length === 0)).toBe(true);
  });
});
