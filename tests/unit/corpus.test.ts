import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  brownDocument,
  detokenise,
  formatCorpusSummary,
  GENRES,
  genreOf,
  isDocumentId,
  parseBrownText,
  parseTaggedWord,
  splitByGenre,
  type CorpusDocument,
  type Paragraph,
  universalTag,
  UNIVERSAL_TAGS,
} from '../../models/text/corpus.ts';
import { brownDirectory, loadCorpusSplits, readBrownDocuments } from '../../scripts/corpus-data.ts';

/** "The/at jury/nn" → one sentence; "|" starts a new sentence, "||" a new paragraph. */
function tagged(source: string): Paragraph[] {
  return source.split(' || ').map((p) => p.split(' | ').map((s) => s.split(' ').map(parseTaggedWord)));
}
const print = (source: string): string => detokenise(tagged(source)).text;

describe('parsing', () => {
  it('splits word/tag at the last slash', () => {
    expect(parseTaggedWord('jury/nn')).toEqual({ word: 'jury', tag: 'nn' });
    expect(parseTaggedWord('1/2/cd')).toEqual({ word: '1/2', tag: 'cd' });
    expect(parseTaggedWord('//in')).toEqual({ word: '/', tag: 'in' });
    expect(() => parseTaggedWord('jury')).toThrow(/word\/tag/);
  });

  it('reads blank-line blocks as paragraphs and lines as sentences', () => {
    const text = '\n\n\tThe/at jury/nn ./.\nIt/pps said/vbd ./.\n\n\n\tNo/at ./.\n';
    const paragraphs = parseBrownText(text);
    expect(paragraphs.map((p) => p.map((s) => s.map((w) => w.word).join(' ')))).toEqual([
      ['The jury .', 'It said .'],
      ['No .'],
    ]);
  });

  it('knows the fifteen genres, as cats.txt names them', () => {
    expect(GENRES).toHaveLength(15);
    const cats = readFileSync(join(brownDirectory(), 'cats.txt'), 'utf8').trim().split('\n');
    expect(cats).toHaveLength(500);
    for (const line of cats) {
      const [id, category] = line.split(' ') as [string, string];
      expect(genreOf(id).category).toBe(category);
    }
    expect(isDocumentId('cr09')).toBe(true);
    expect(isDocumentId('cats.txt')).toBe(false);
    expect(isDocumentId('ci01')).toBe(false);
    expect(() => genreOf('README')).toThrow(/not a Brown Corpus document/);
  });
});

describe('universalTag', () => {
  it('collapses Brown tags, with their suffixes, to the twelve universal tags', () => {
    const cases: [string, string][] = [
      ['nns-tl', 'NOUN'],
      ['np$', 'NOUN'],
      ['vbd-hl', 'VERB'],
      ['bedz', 'VERB'],
      ['do*', 'VERB'],
      ['*', 'ADV'],
      ['pps+bez', 'PRON'],
      ['pp$$', 'PRON'],
      ['at', 'DET'],
      ['in-tl', 'ADP'],
      ['cd', 'NUM'],
      ['cs', 'CONJ'],
      ['to', 'PRT'],
      ["''", '.'],
      ['---hl', '.'],
      ['fw-nn', 'X'],
      ['uh', 'X'],
    ];
    expect(cases.map(([tag]) => [tag, universalTag(tag)])).toEqual(cases);
  });
});

describe('detokenise', () => {
  it("turns `` and '' into double quotes hugging the quoted words", () => {
    expect(print("produced/vbd ``/`` no/at evidence/nn ''/'' that/cs ./.")).toBe('produced "no evidence" that.');
  });

  it('moves a comma or period back inside the closing quote, with its tag', () => {
    const { text, words } = detokenise(tagged("``/`` Only/rb ''/'' ,/, he/pps said/vbd"));
    expect(text).toBe('"Only," he said');
    expect(words.map((w) => [text.slice(w.start, w.end), w.tag])).toEqual([
      ['"', '``'],
      ['Only', 'rb'],
      [',', ','],
      ['"', "''"],
      ['he', 'pps'],
      ['said', 'vbd'],
    ]);
  });

  it('attaches punctuation, clitics and parentheses', () => {
    expect(print('Yes/rb ,/, it/pps is/bez ;/. no/rb :/: why/wrb ?/. !/.')).toBe('Yes, it is; no: why?!');
    expect(print("John/np 's/pos dog/nn do/do n't/* bark/vb")).toBe("John's dog don't bark");
    expect(print("he/pps 'll/md go/vb ,/, they/ppss 're/ber here/rb")).toBe("he'll go, they're here");
    expect(print('the/at NAREB/np (/( 1961/cd )/) says/vbz')).toBe('the NAREB (1961) says');
    expect(print('cost/nn $100/nns or/cc 50/cd %/nn')).toBe('cost $100 or 50%');
  });

  it('closes up dashes and hyphens written as words', () => {
    expect(print('voted/vbd no/rb --/-- and/cc there/ex')).toBe('voted no--and there');
    expect(print('the/at 1960/cd -/in 1962/cd period/nn')).toBe('the 1960-1962 period');
    expect(print('one-/jj and/cc two-story/jj')).toBe('one- and two-story');
  });

  it('tells opening from closing single quotes', () => {
    expect(print("getting/vbg more/ap '/' pro/jj '/' letters/nns")).toBe("getting more 'pro' letters");
    expect(print("said/vbd ,/, '/' You're/ppss+ber mine/pp$$ '/' ''/'' ./.")).toBe("said, 'You're mine'.\"");
    expect(print("the/at farmers'/nns$ land/nn")).toBe("the farmers' land");
  });

  it('joins sentences with a space, paragraphs with a newline, and gives headlines their own line', () => {
    expect(print('It/pps rained/vbd ./. | We/ppss left/vbd ./. || Then/rb sun/nn ./.')).toBe(
      'It rained. We left.\nThen sun.',
    );
    expect(print('Merger/nn-hl proposed/vbn-hl | However/wrb ,/, no/rb ./.')).toBe('Merger proposed\nHowever, no.');
    expect(print('It/pps ended/vbd ./. | Wards/nns-hl protected/vbn-hl || Then/rb ./.')).toBe(
      'It ended.\nWards protected\nThen.',
    );
  });

  it('prints one period after an abbreviation and keeps the second period as an empty span', () => {
    const { text, words } = detokenise(tagged('won/vbd by/in Ivan/np Allen/np Jr./np ./. | He/pps'));
    expect(text).toBe('won by Ivan Allen Jr. He');
    const period = words[5]!;
    expect(period).toEqual({ start: 21, end: 21, tag: '.' });
  });

  it('spans every word in text order, each slice being the printed word', () => {
    const source = "``/`` It's/pps+bez '/' See/vb Joe/np '/' ''/'' ,/, he/pps said/vbd (/( calmly/rb )/) ./.";
    const { text, words } = detokenise(tagged(source));
    expect(text).toBe("\"It's 'See Joe',\" he said (calmly).");
    const printed = ['"', "It's", "'", 'See', 'Joe', "'", ',', '"', 'he', 'said', '(', 'calmly', ')', '.'];
    expect(words.map((w) => text.slice(w.start, w.end))).toEqual(printed);
  });
});

describe('splitByGenre', () => {
  const ids = GENRES.flatMap((g, gi) =>
    Array.from({ length: 3 + gi * 5 }, (_, i) => `c${g.code}${String(i + 1).padStart(2, '0')}`),
  );

  it('is deterministic and depends on the seed', () => {
    expect(splitByGenre(ids)).toEqual(splitByGenre([...ids].reverse()));
    expect(splitByGenre(ids, { validationFraction: 0.1, testFraction: 0.1, seed: 2 })).not.toEqual(splitByGenre(ids));
  });

  it('puts every genre in every split, about 80/10/10, without losing or repeating a document', () => {
    const splits = splitByGenre(ids);
    expect([...splits.train, ...splits.validation, ...splits.test].sort()).toEqual([...ids].sort());
    for (const g of GENRES) {
      const n = ids.filter((id) => id[1] === g.code).length;
      const count = (list: string[]): number => list.filter((id) => id[1] === g.code).length;
      expect(count(splits.validation)).toBe(Math.max(1, Math.round(n * 0.1)));
      expect(count(splits.test)).toBe(Math.max(1, Math.round(n * 0.1)));
      expect(count(splits.train)).toBeGreaterThanOrEqual(1);
    }
  });

  it('shuffles each genre on its own, so adding documents to one genre leaves the others alone', () => {
    const fewer = ids.filter((id) => !(id.startsWith('ca') && Number(id.slice(2)) > 3));
    const a = splitByGenre(ids);
    const b = splitByGenre(fewer);
    const notA = (list: string[]): string[] => list.filter((id) => id[1] !== 'a');
    expect(notA(b.test)).toEqual(notA(a.test));
    expect(notA(b.validation)).toEqual(notA(a.validation));
  });

  it('refuses a genre too small to appear in every split, and impossible fractions', () => {
    expect(() => splitByGenre(['ca01', 'ca02'])).toThrow(/needs 3/);
    expect(() => splitByGenre(ids, { validationFraction: 0.6, testFraction: 0.5, seed: 1 })).toThrow(
      /sum to less than 1/,
    );
  });
});

describe('the Brown Corpus', () => {
  const documents: CorpusDocument[] = readBrownDocuments();

  it('has 500 documents and 1,161,192 tagged words', () => {
    expect(documents).toHaveLength(500);
    expect(documents.reduce((n, d) => n + d.words.length, 0)).toBe(1_161_192);
  });

  it('detokenises every document into spans in text order that print the corpus word', () => {
    // Per-word expect() calls would take seconds; collect the problems and compare once.
    const problems: string[] = [];
    for (const d of documents) {
      let previousEnd = 0;
      let covered = '';
      for (const w of d.words) {
        if (w.start < previousEnd || w.end < w.start) problems.push(`${d.id}: ${w.start}-${w.end} out of order`);
        previousEnd = w.end;
        covered += ' '.repeat(w.start - covered.length) + d.text.slice(w.start, w.end);
      }
      // Nothing but spaces and newlines between words.
      if (covered !== d.text.replace(/\n/g, ' ')) problems.push(`${d.id}: text outside the word spans`);
    }
    expect(problems).toEqual([]);
  });

  it('maps almost every word to a universal tag other than X', () => {
    const tags = documents.flatMap((d) => d.words.map((w) => universalTag(w.tag)));
    expect(new Set(tags)).toEqual(new Set(UNIVERSAL_TAGS));
    expect(tags.filter((t) => t === 'X').length / tags.length).toBeLessThan(0.002);
  });

  it('matches the file on disk word for word', () => {
    const raw = readFileSync(join(brownDirectory(), 'ca01'), 'utf8');
    const fromFile = brownDocument('ca01', raw);
    expect(
      fromFile.text.startsWith(
        'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.\n',
      ),
    ).toBe(true);
    expect(fromFile.words[0]).toEqual({ start: 0, end: 3, tag: 'at' });
  });

  it('writes and reloads the splits, with a summary covering every genre', () => {
    const directory = mkdtempSync(join(tmpdir(), 'moe-corpus-'));
    try {
      const splits = loadCorpusSplits({ directory });
      expect(splits.train.length + splits.validation.length + splits.test.length).toBe(500);
      for (const name of ['train', 'validation', 'test'] as const) {
        expect(new Set(splits[name].map((d) => d.genre)).size).toBe(15);
      }
      const again = loadCorpusSplits({ directory });
      expect(again.test.map((d) => d.id)).toEqual(splits.test.map((d) => d.id));
      expect(again.test[0]).toEqual(documents.find((d) => d.id === splits.test[0]!.id));
      const summary = formatCorpusSummary(splits);
      expect(summary.split('\n')).toHaveLength(2 + 15 + 1);
      expect(summary).toMatch(/^all\s+396\s+/m);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
