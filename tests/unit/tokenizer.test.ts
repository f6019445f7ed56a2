import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mergePair, trainBpe } from '../../models/text/bpe.ts';
import {
  bytesToUnicode,
  END_OF_TEXT,
  preTokenize,
  Tokenizer,
  tokenToWord,
  toByteLevel,
  trainTokenizer,
  type TokenizerJSON,
} from '../../models/text/tokenizer.ts';
import { loadCorpusSplits } from '../../scripts/corpus-data.ts';

const CHECKPOINT = new URL('../../models/checkpoints/tokenizer.json', import.meta.url);
const shipped = (): TokenizerJSON => JSON.parse(readFileSync(CHECKPOINT, 'utf8')) as TokenizerJSON;
const tokenizer = Tokenizer.fromJSON(shipped());

describe('byte-level pieces', () => {
  it('maps the 256 bytes to distinct printable characters, as GPT-2 does', () => {
    const table = bytesToUnicode();
    expect(new Set(table).size).toBe(256);
    expect(table[33]).toBe('!');
    expect(table[32]).toBe('Ġ');
    expect(table[10]).toBe('Ċ');
    expect(table[0]).toBe('Ā');
    expect(table[0xad]).toBe('Ń');
    expect(toByteLevel(' café')).toBe('ĠcafÃ©');
  });

  it("pre-tokenizes with GPT-2's regex, tiling the text", () => {
    const text = "He said: don't  go, it's 1961!\n\nOK";
    const pieces = preTokenize(text);
    expect(pieces.map((p) => p.text)).toEqual([
      'He',
      ' said',
      ':',
      ' don',
      "'t",
      ' ',
      ' go',
      ',',
      ' it',
      "'s",
      ' 1961',
      '!',
      // \s+(?!\S) leaves the last newline to the next alternative, as in GPT-2.
      '\n',
      '\n',
      'OK',
    ]);
    expect(pieces.map((p) => p.text).join('')).toBe(text);
    for (const p of pieces) expect(text.slice(p.start, p.start + p.text.length)).toBe(p.text);
  });
});

describe('trainBpe', () => {
  // Sennrich et al.'s example vocabulary (without their end-of-word marker). Alphabet ids, in
  // code-point order: d0 e1 i2 l3 n4 o5 r6 s7 t8 w9.
  const words = new Map([
    ['low', 5],
    ['lower', 2],
    ['newest', 6],
    ['widest', 3],
  ]);
  const alphabet = [...new Set([...words.keys()].join(''))];

  it('learns the hand-computed first merges', () => {
    const { merges, vocab } = trainBpe(words, { vocabSize: alphabet.length + 5, alphabet });
    // Pair counts: e s 9, s t 9, w e 8, l o 7, o w 7, n e 6, e w 6, w i 3, i d 3, d e 3, e r 2.
    // 1. e s and s t tie at 9; the smaller left id (e) wins.   2. es t (9, "newest" + "widest").
    // 3. w e fell to 2 ("lower"), so l o and o w (7) lead; l o by id.   4. lo w (7).
    // 5. n e, e w and w est tie at 6; e w has the smallest left id.
    expect(merges).toEqual([
      ['e', 's'],
      ['es', 't'],
      ['l', 'o'],
      ['lo', 'w'],
      ['e', 'w'],
    ]);
    expect(vocab.get('d')).toBe(0);
    expect(vocab.get('es')).toBe(alphabet.length);
    expect(vocab.get('ew')).toBe(alphabet.length + 4);
  });

  it('gives special tokens the first ids and stops when pairs run out or get rare', () => {
    const { vocab, merges } = trainBpe(words, { vocabSize: 1000, alphabet, specialTokens: ['<s>'] });
    expect(vocab.get('<s>')).toBe(0);
    // With minFrequency 2 the last merges still occur at least twice ("lower" is 2).
    expect(merges.length).toBeGreaterThan(5);
    expect(vocab.size).toBeLessThan(1000);
  });

  it('merges non-overlapping pairs left to right', () => {
    expect(mergePair([1, 1, 1], 1, 1, 9)).toEqual([9, 1]);
    expect(mergePair([1, 2, 1, 2], 1, 2, 9)).toEqual([9, 9]);
  });

  it('explains bad configurations', () => {
    expect(() => trainBpe(words, { vocabSize: 3, alphabet })).toThrow(/from 10/);
    expect(() => trainBpe(new Map([['xyz', 1]]), { vocabSize: 20, alphabet })).toThrow(
      /"x", which is not in the alphabet/,
    );
    expect(() => trainBpe(words, { vocabSize: 20, alphabet: [...alphabet, 'e'] })).toThrow(/must not repeat/);
  });
});

describe('Tokenizer', () => {
  const odd = [
    '',
    'Hello 🌍 wörld — Привет',
    'emoji 👩‍👩‍👧 flags 🇳🇴 and 東京',
    'control \u0000\u0007\t\r\n characters and   runs of spaces  ',
    'e\u0301 (combining) and \u00ad soft hyphen, \ufeff BOM',
    `two documents${END_OF_TEXT}joined`,
  ];

  it('round-trips text the corpus never saw', () => {
    for (const text of odd) expect(tokenizer.decode(tokenizer.encode(text).ids)).toBe(text);
  });

  it('does not crash on a lone surrogate, which becomes U+FFFD as in TextEncoder', () => {
    expect(tokenizer.decode(tokenizer.encode('a\ud800b').ids)).toBe('a\ufffdb');
  });

  it('encodes <|endoftext|> in text as its own id and can skip it when decoding', () => {
    const { ids } = tokenizer.encode(`a${END_OF_TEXT}b`);
    expect(ids).toContain(tokenizer.endOfTextId);
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe('ab');
    expect(tokenizer.idToToken(tokenizer.endOfTextId)).toBe(END_OF_TEXT);
  });

  it('gives each token the characters it came from', () => {
    const text = 'The jury said "no evidence" of Atlanta\'s 🌍.';
    const { ids, offsets } = tokenizer.encode(text);
    expect(offsets).toHaveLength(ids.length);
    // Offsets tile the text; tokens inside the emoji all span the whole emoji.
    let at = 0;
    for (const [start, end] of offsets) {
      expect(start === at || text.slice(start, end) === '🌍').toBe(true);
      at = end;
    }
    expect(at).toBe(text.length);
    for (let i = 0; i < ids.length; i++) {
      const [start, end] = offsets[i]!;
      if (!text.slice(start, end).includes('🌍')) expect(tokenizer.decode([ids[i]!])).toBe(text.slice(start, end));
    }
    expect(offsets.filter(([s, e]) => text.slice(s, e) === '🌍').length).toBe(4);
  });

  it('maps tokens to words: the leading space goes with the word, whitespace with none', () => {
    const text = "Atlanta's jury\n said.";
    const words = [
      { start: 0, end: 9 }, // Atlanta's
      { start: 10, end: 14 }, // jury
      { start: 16, end: 20 }, // said
      { start: 20, end: 21 }, // .
    ];
    const { ids, offsets } = tokenizer.encode(text);
    const wordOf = tokenToWord(offsets, words);
    const pieces = ids.map((id) => tokenizer.decode([id]));
    expect(pieces.join('')).toBe(text);
    const byWord = (w: number): string =>
      pieces
        .filter((_, i) => wordOf[i] === w)
        .join('')
        .trim();
    expect([0, 1, 2, 3].map(byWord)).toEqual(["Atlanta's", 'jury', 'said', '.']);
    expect(wordOf[pieces.indexOf('\n')]).toBe(-1);
  });

  it('skips empty word spans when mapping', () => {
    expect(
      tokenToWord(
        [
          [0, 3],
          [3, 4],
        ],
        [
          { start: 0, end: 3 },
          { start: 3, end: 3 },
          { start: 3, end: 4 },
        ],
      ),
    ).toEqual([0, 2]);
  });

  it('survives toJSON → JSON → fromJSON with identical ids', () => {
    const again = Tokenizer.fromJSON(JSON.parse(JSON.stringify(tokenizer.toJSON())));
    const text = odd.join(' ') + ' The quick brown fox.';
    expect(again.encode(text)).toEqual(tokenizer.encode(text));
    expect(tokenizer.toJSON()).toEqual(shipped());
  });

  it('accepts merges written as "a b" strings (tokenizers < 0.20)', () => {
    const json = shipped();
    const old = { ...json, model: { ...json.model, merges: json.model.merges.map(([a, b]) => `${a} ${b}`) } };
    expect(Tokenizer.fromJSON(old).encode('Hello there').ids).toEqual(tokenizer.encode('Hello there').ids);
  });
});

describe('malformed tokenizer.json', () => {
  const json = shipped();
  const withModel = (model: object): unknown => ({ ...json, model: { ...json.model, ...model } });
  const vocabWithout = (token: string): Record<string, number> =>
    Object.fromEntries(Object.entries(json.model.vocab).filter(([t]) => t !== token));

  it.each([
    ['not an object', [], /must hold a JSON object/],
    ['no version', { ...json, version: undefined }, /version must be "1.0"/],
    ['a WordPiece model', withModel({ type: 'WordPiece' }), /model.type must be "BPE"/],
    [
      'a Metaspace pre-tokenizer',
      { ...json, pre_tokenizer: { type: 'Metaspace' } },
      /pre_tokenizer must be .*ByteLevel/,
    ],
    ['no vocab', withModel({ vocab: undefined }), /model.vocab must be an object/],
    [
      'a fractional id',
      withModel({ vocab: { ...json.model.vocab, x: 1.5 } }),
      /model.vocab\["x"\] must be a whole number/,
    ],
    ['two tokens with one id', withModel({ vocab: { ...json.model.vocab, zzz: 5 } }), /both have id 5/],
    ['a missing byte', withModel({ vocab: vocabWithout('Ā') }), /lacks "Ā" \(byte 0\)/],
    ['a broken merge', withModel({ merges: [['Ġ', 't'], ['a']] }), /model.merges\[1\] must be a pair/],
    ['a merge of unknown tokens', withModel({ merges: [['Ġ', 'qqq']] }), /merge 0 \("Ġ" \+ "qqq"\) needs "qqq"/],
    ['no <|endoftext|>', { ...json, added_tokens: [] }, /must include "<\|endoftext\|>"/],
    [
      'an added token with the wrong id',
      { ...json, added_tokens: [{ ...json.added_tokens[0], id: 5 }] },
      /has id 5, but the vocabulary gives that id to/,
    ],
  ])('rejects %s with a sentence saying what is wrong', (_name, bad, message) => {
    expect(() => Tokenizer.fromJSON(bad)).toThrow(message);
  });
});

describe('on the Brown Corpus', () => {
  const splits = loadCorpusSplits();
  const documents = [...splits.train, ...splits.validation, ...splits.test];

  it('round-trips every document exactly, and every token maps to a word or to whitespace', () => {
    const problems: string[] = [];
    for (const d of documents) {
      const { ids, offsets } = tokenizer.encode(d.text);
      if (tokenizer.decode(ids) !== d.text) problems.push(`${d.id} does not round-trip`);
      const wordOf = tokenToWord(offsets, d.words);
      wordOf.forEach((w, i) => {
        const [start, end] = offsets[i]!;
        const piece = d.text.slice(start, end);
        if (w === -1 ? piece.trim() !== '' : d.words[w]!.start > start + piece.length - piece.trimStart().length) {
          problems.push(`${d.id}: token ${i} ${JSON.stringify(piece)} maps to word ${w}`);
        }
      });
    }
    expect(problems.slice(0, 5)).toEqual([]);
  });

  it('is what training on the train split produces, byte for byte (deterministic)', () => {
    const vocabSize = Object.keys(shipped().model.vocab).length;
    const trained = trainTokenizer(
      splits.train.map((d) => d.text),
      { vocabSize },
    );
    expect(trained.toJSON()).toEqual(shipped());
  });
});
