// The test split the browser analyses (models/data/test.*) holds exactly the documents, ids and word
// classes the `analyze` command derives from the corpus, so a window routed in the worker is the window the
// CLI routed; a damaged file is refused with a sentence. The word-class lexicon's measured figures hold.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readAnalysisData } from '../../models/text/analysis-data.ts';
import { guessWordClasses, lexiconMap, tokenWordClasses, type PosLexicon } from '../../models/text/pos-lexicon.ts';
import { corpusAnalysisDocuments } from '../../scripts/commands/analyze.ts';
import { loadTokenizedSplits, loadTokenizer } from '../../scripts/training-data.ts';

const dir = new URL('../../models/data/', import.meta.url);
const read = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
const files = () => new Map(['test.json', 'test.bin', 'test-pos.bin'].map((n) => [n, read(n)]));

describe('the shipped test split', () => {
  it('equals the corpus path of `npm run moe -- analyze`, document by document', async () => {
    const { documents } = await readAnalysisData(files());
    const split = loadTokenizedSplits(loadTokenizer(), ['test']).test!;
    const expected = corpusAnalysisDocuments(split);
    expect(documents.length).toBe(expected.length);
    documents.forEach((d, i) => {
      expect(d.id).toBe(split.tokenized[i]!.id);
      expect(d.genre).toBe(expected[i]!.genre);
      expect(Array.from(d.ids)).toEqual(Array.from(expected[i]!.ids));
      expect(d.posClass).toEqual(expected[i]!.posClass);
    });
  });

  it('refuses a truncated or corrupted file with a sentence', async () => {
    const short = files();
    short.set('test-pos.bin', short.get('test-pos.bin')!.subarray(1));
    await expect(readAnalysisData(short)).rejects.toThrow(/interrupted download/);
    const flipped = files();
    const bytes = flipped.get('test.bin')!.slice();
    bytes[100] = bytes[100]! ^ 1;
    flipped.set('test.bin', bytes);
    await expect(readAnalysisData(flipped)).rejects.toThrow(/SHA-256/);
  });
});

describe('the word-class lexicon', () => {
  const lexicon = JSON.parse(readFileSync(new URL('pos-lexicon.json', dir), 'utf8')) as PosLexicon;
  const map = lexiconMap(lexicon);
  it('holds 5,000 forms and knows most test words, mostly with the corpus’s own class', () => {
    expect(map.size).toBe(5000);
    const { testWords, known, correctWhenKnown } = lexicon.measured;
    expect(known / testWords).toBeGreaterThan(0.8);
    expect(correctWhenKnown / known).toBeGreaterThan(0.9);
  });
  it('classes a reader’s words, digits by rule, unknown words as none, and maps tokens to them', () => {
    const words = guessWordClasses('The cat sat, 42 zyxwv.', map);
    expect(words.map((w) => w.posClass)).toEqual([
      'determiner',
      'noun',
      'verb',
      'punctuation',
      'number',
      null,
      'punctuation',
    ]);
    const tokens = tokenWordClasses('The cat', ['The', ' c', 'at'], map);
    expect(tokens.map((t) => t.posClass)).toEqual(['determiner', 'noun', 'noun']);
    expect(tokenWordClasses('a  zyxwv', ['a', ' ', ' zy', 'xwv'], map).map((t) => [t.inWord, t.known])).toEqual([
      [true, true],
      [false, false],
      [true, false],
      [true, false],
    ]);
  });
});
